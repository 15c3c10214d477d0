//go:build !unix

package store

import "errors"

func lockFile(path string, exclusive bool) (unlock func(), err error) {
	return nil, errors.New("store: file locking is only implemented on Unix")
}
