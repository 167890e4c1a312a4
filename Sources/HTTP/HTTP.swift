// The HTTP module: see HTTP1Parser and PolicyResponder.
