//go:build !unix

package pgtest

import (
	"os"
	"syscall"
)

// lookupRunUser returns nil: there is no root to avoid here.
func lookupRunUser() (*osUser, error) { return nil, nil }

// sysProcAttr returns nil: no process groups or credentials here.
func sysProcAttr(*osUser) *syscall.SysProcAttr { return nil }

// interrupt kills the postmaster: there is no SIGINT here.
func interrupt(p *os.Process) error { return p.Kill() }

// killGroup kills the postmaster.
func killGroup(p *os.Process) { _ = p.Kill() }

// reachable reports true: ownership is not checked here.
func reachable(string, *osUser) bool { return true }

// The signals of PgBouncer's immediate and safe shutdowns.
var sigTerm, sigInt os.Signal = os.Kill, os.Interrupt
