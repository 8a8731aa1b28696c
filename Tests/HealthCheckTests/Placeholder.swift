import Testing

@Test func placeholderHealthCheckTests() { #expect(1 + 1 == 2) }
