// Package ent is generated from ./schema by `make generate`; do not edit
// anything here but schema/, entc.go and this file.
package ent

//go:generate go run -mod=mod entc.go
