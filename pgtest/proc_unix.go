//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// lookupRunUser returns the "postgres" OS user when running as root (which
// PostgreSQL refuses), else nil.
func lookupRunUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and PostgreSQL must run as the postgres OS user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: postgres OS user: %w", err)
	}
	if uid == 0 {
		return nil, errors.New("pgtest: the postgres OS user has uid 0")
	}
	return &osUser{name: u.Username, uid: uid, gid: gid}, nil
}

// sysProcAttr puts the child in its own process group, runs it as runAs and,
// on Linux, has it killed when its parent thread dies.
func sysProcAttr(runAs *osUser) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if runAs != nil {
		a.Credential = &syscall.Credential{Uid: uint32(runAs.uid), Gid: uint32(runAs.gid)}
	}
	setDeathSignal(a)
	return a
}

// interrupt asks the postmaster for a fast shutdown.
func interrupt(p *os.Process) error {
	return p.Signal(syscall.SIGINT)
}

// killGroup kills the process group led by p (the postmaster and its backends).
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Signal(syscall.SIGKILL)
}

// reachable reports whether u can search dir and every directory above it.
func reachable(dir string, u *osUser) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		perm := fi.Mode().Perm()
		var can bool
		switch {
		case int(st.Uid) == u.uid:
			can = perm&0o100 != 0
		case int(st.Gid) == u.gid:
			can = perm&0o010 != 0
		default:
			can = perm&0o001 != 0
		}
		if !can {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// The signals of PgBouncer's immediate and safe shutdowns.
var sigTerm, sigInt os.Signal = syscall.SIGTERM, syscall.SIGINT
