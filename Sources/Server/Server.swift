// The Server module.
