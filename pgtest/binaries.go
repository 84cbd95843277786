package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// binDirGlobs are searched, after PATH, for a directory holding initdb and
// postgres; within one pattern the highest version wins.
var binDirGlobs = []string{
	"/usr/lib/postgresql/*/bin", // Debian, Ubuntu
	"/usr/pgsql-*/bin",          // RHEL and friends (PGDG packages)
	"/usr/local/pgsql/bin",      // built from source
	"/opt/homebrew/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql@*/bin",
}

// findBinDir returns a directory containing both initdb and postgres: the
// directory of postgres found on PATH (or, if initdb is not next to it, the
// directory the postgres symlink points into), else the first match of
// binDirGlobs, preferring the highest version.
func findBinDir() (string, error) {
	var candidates []string
	if p, err := exec.LookPath("postgres"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		candidates = append(candidates, filepath.Dir(p))
		if real, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
	}
	for _, pattern := range binDirGlobs {
		dirs, _ := filepath.Glob(pattern)
		slices.SortFunc(dirs, func(a, b string) int { return compareVersions(b, a) })
		candidates = append(candidates, dirs...)
	}
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found on PATH or in " +
		strings.Join(binDirGlobs, ", ") + "; on Debian/Ubuntu install the postgresql package")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// compareVersions compares the digit runs of a and b numerically, so that
// /usr/lib/postgresql/9.6/bin sorts before /usr/lib/postgresql/15/bin.
func compareVersions(a, b string) int {
	na, nb := digitRuns(a), digitRuns(b)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	if c := len(na) - len(nb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func digitRuns(s string) []int {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	n := make([]int, 0, len(fields))
	for _, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			v = 0
		}
		n = append(n, v)
	}
	return n
}
