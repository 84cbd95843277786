package filter

import "strconv"

// Error is a syntax error in a filter or path. Its Msg and Offset are meant
// to be shown to a SCIM client in an "invalidFilter" or "invalidPath" error
// detail.
type Error struct {
	// Offset is the byte offset in Input at which the problem was found.
	Offset int
	// Msg describes the problem, without the offset.
	Msg string
	// Input is the complete text that failed to parse.
	Input string
}

// Error returns "syntax error at offset N: Msg".
func (e *Error) Error() string {
	return "syntax error at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}
