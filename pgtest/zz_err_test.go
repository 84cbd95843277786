package pgtest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestZZErrors(t *testing.T) {
	old := binDirGlobs
	binDirGlobs = nil
	t.Setenv("PATH", "/nonexistent")
	_, err := Start()
	t.Logf("no binaries: %v", err)
	binDirGlobs = old
	dir, err := findBinDir()
	t.Logf("with globs: %s %v", dir, err)

	// port taken: launch directly
	t.Setenv("PATH", "/usr/bin:/bin")
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	s2 := &Server{dir: s.dir, logPath: filepath.Join(s.dir, "x.log")}
	ru, _ := lookupRunUser()
	bindir, _ := findBinDir()
	_ = os.Remove(filepath.Join(s.dir, "data", "postmaster.pid"))
	err = s2.launch(bindir, filepath.Join(s.dir, "data"), filepath.Join(s.dir, "sock2"), port, ru)
	t.Logf("taken port: inUse=%v err=%v", errorsIs(err), err)
}
