import IPVSKit
print("lvsd: not yet")
