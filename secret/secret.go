// Package secret makes and checks bearer secrets: directory SCIM tokens and
// API keys. A secret is 256 random bits behind a readable prefix ("scim_",
// "dk_"); only its SHA-256 hash is stored, and it is shown to a person once.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// Prefixes of the two kinds of secret.
const (
	DirectoryTokenPrefix = "scim_"
	APIKeyPrefix         = "dk_"
)

// displayLen is how many characters of a secret are kept in clear, so an
// admin can tell tokens apart ("scim_Ab3x…") without the rest being useful.
const displayLen = 8

// Secret is a newly made secret. Plain is shown once and then forgotten.
type Secret struct {
	Plain   string
	Hash    []byte
	Display string
}

// New returns a fresh secret with the given prefix.
func New(prefix string) Secret {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	plain := prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return Secret{Plain: plain, Hash: Hash(plain), Display: plain[:len(prefix)+displayLen]}
}

// Hash returns the stored form of a secret.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// HasPrefix reports whether plain looks like a secret of the given kind.
func HasPrefix(plain, prefix string) bool {
	return strings.HasPrefix(plain, prefix) && len(plain) > len(prefix)+displayLen
}

// Equal compares a stored hash with the hash of a presented secret in
// constant time.
func Equal(stored []byte, plain string) bool {
	return subtle.ConstantTimeCompare(stored, Hash(plain)) == 1
}

// Bearer extracts the credential of an "Authorization: Bearer <secret>"
// header value; the scheme is matched without regard to case (RFC 7235).
func Bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}
