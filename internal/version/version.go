// Package version carries the build's version, injected by the Makefile with
// -ldflags "-X gameday/internal/version.Version=$(git describe ...)".
package version

// Version is "dev" for builds made without the Makefile.
var Version = "dev"
