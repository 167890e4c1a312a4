import FuzzDriver

runLibFuzzer { fuzzPolicyParser($0, $1) }
