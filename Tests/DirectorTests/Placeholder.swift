import Testing

@Test func placeholderDirectorTests() { #expect(1 + 1 == 2) }
