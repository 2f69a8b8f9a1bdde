//go:build !unix

package journal

import "os"

// lockFile is a no-op where flock does not exist: runs are not protected
// from a concurrent gameday recover there.
func lockFile(*os.File) error { return nil }

// Locked always reports false where locks are not supported.
func Locked(string) (bool, error) { return false, nil }
