// Intentionally empty: this target is header-only.
