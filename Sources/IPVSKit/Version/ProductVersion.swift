/// The version of this project's release (lvsd, lvsctl and the `lvs-director` Debian package): the one place it is
/// written. `lvsd --version` and `lvsctl version` print it; `scripts/package.sh` reads it from this line.
public enum ProductVersion {
    public static let string = "0.2.0"
}
