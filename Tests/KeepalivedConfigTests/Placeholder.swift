import Testing

@Test func placeholderKeepalivedConfigTests() { #expect(1 + 1 == 2) }
