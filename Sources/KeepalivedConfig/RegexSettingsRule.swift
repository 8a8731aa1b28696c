extension Parser {
    /// keepalived's end-of-`url` rules for the regex settings (check_http.c's `url_end`): options, `regex_no_match`,
    /// offsets or a stack without a `regex` are ignored with a warning, and a `regex_min_offset` beyond
    /// `regex_max_offset` drops both. Whether the pattern compiles is checked by lvsd with PCRE2.
    mutating func checkRegexSettings(_ url: inout HTTPCheckURL, at location: ConfigLocation) {
        if url.regex == nil {
            if !url.regexOptions.isEmpty || url.regexNoMatch || url.regexMinOffset != nil || url.regexMaxOffset != nil
                || url.regexStack != nil {
                log.warning(.adjusted, location, "regex parameters specified without regex - ignoring them")
            }
            url.regexOptions = []
            url.regexNoMatch = false
            url.regexMinOffset = nil
            url.regexMaxOffset = nil
            url.regexStack = nil
        }
        if let minimum = url.regexMinOffset, let maximum = url.regexMaxOffset, minimum > maximum {
            log.warning(.adjusted, location, "regex min offset \(minimum) > regex_max_offset \(maximum) - ignoring")
            url.regexMinOffset = nil
            url.regexMaxOffset = nil
        }
    }
}
