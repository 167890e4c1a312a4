import FuzzDriver

runLibFuzzer { fuzzHTTP1Parser($0, $1) }
