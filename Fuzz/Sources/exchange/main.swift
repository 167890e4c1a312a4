import FuzzDriver

runLibFuzzer { fuzzExchange($0, $1) }
