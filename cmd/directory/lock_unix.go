//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir locks the SQLite data folder's lock file, directory.db.lock:
// shared by each server running on it (serve), exclusive by restore. So a
// restore is refused while a server runs there, and a server does not
// start during a restore. The lock goes with the process: a killed server
// leaves nothing to clean up. The returned function releases it.
func lockDataDir(dataDir string, exclusive bool) (func(), error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, "directory.db.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if exclusive {
				return nil, fmt.Errorf("a server is running on %s (it holds %s): stop it first", dataDir, path)
			}
			return nil, fmt.Errorf("a restore is running on %s (it holds %s)", dataDir, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
