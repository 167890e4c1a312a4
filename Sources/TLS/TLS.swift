// The TLS module.
