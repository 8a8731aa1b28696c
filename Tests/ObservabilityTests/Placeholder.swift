import Testing

@Test func placeholderObservability() { #expect(1 + 1 == 2) }
