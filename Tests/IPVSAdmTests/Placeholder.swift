import Testing

@Test func placeholderIPVSAdmTests() { #expect(1 + 1 == 2) }
