import IPVSKit
print("lvsctl: not yet")
