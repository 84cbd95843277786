package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/events"
	"github.com/acme/directory/simulate"
)

// server is the directory binary running under test.
type server struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan error
}

// startServer runs bin serve on a free port with the given database flags
// and waits until /healthz answers.
func startServer(ctx context.Context, bin, workDir string, dbArgs ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(workDir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: server log: %w", err)
	}
	defer logf.Close()
	// The rate limiter is off: one key drives each row as hard as it can,
	// which is what the per-key budget exists to stop; the harness measures
	// the server, not the budget.
	args := append([]string{"serve", "--addr", addr, "--public-url", "http://" + addr,
		"--graphql-rate-limit", "-1", "--webhook-allow-private"}, dbArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = workDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, log: logPath, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("bench: server exited at start (%v): %s", err, tail(logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("bench: server not healthy after 60s: %s", tail(logPath))
		}
	}
}

// stop sends SIGTERM and waits (SIGKILL after 20 s).
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// memory reads the server's resident set size and its peak, in bytes,
// from /proc (zero where /proc is missing).
func (s *server) memory() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			peak = n * 1024
		}
	}
	return rss, peak
}

// cpu is the processor time the server has used (user and system), from
// /proc (zero where /proc is missing), in clock ticks of 10 ms.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) in
	// parentheses: utime and stime are the 14th and 15th of the line.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("bench: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// bareUserQuery is GET by id's statement as the server sends it (scim's
// newUserReads), written here by hand: every column of the user's row,
// joined with its groups' ids and names (one row a group), narrowed to
// the token's directory and organization.
const bareUserQuery = `SELECT u.*, g.id, g.display_name FROM users AS u
LEFT JOIN memberships AS m ON m.user_id = u.id LEFT JOIN groups AS g ON g.id = m.group_id
WHERE u.id = ? AND u.directory_id = ? AND u.organization_id = ?`

// bareHandler is the baseline for GET by id: a net/http handler that runs
// GET by id's own statement (bareUserQuery), prepared once as the server
// prepares its own, against the same database and writes the user's
// columns and its groups as JSON with encoding/json, with nothing else
// (no auth, no ORM, no SCIM).
func bareHandler(db *sql.DB, postgres bool) (http.Handler, error) {
	q := bareUserQuery
	if postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	stmt, err := db.Prepare(q)
	if err != nil {
		return nil, fmt.Errorf("bench: prepare the bare GET: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org, errO := uuid.Parse(r.PathValue("org"))
		dir, errD := uuid.Parse(r.PathValue("dir"))
		id, errI := uuid.Parse(r.PathValue("id"))
		if err := errors.Join(errO, errD, errI); err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		doc, err := bareUser(r.Context(), stmt, id, dir, org)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case doc == nil:
			http.Error(w, "not found", http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(doc)
		}
	}), nil
}

// bareUser runs stmt and returns the user's columns by name with its groups
// under "groups", or nil when there is no such user.
func bareUser(ctx context.Context, stmt *sql.Stmt, args ...any) (map[string]any, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	var doc map[string]any
	var groups []map[string]any
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		n := len(cols) - 2 // the user's columns, then the group's id and name
		if doc == nil {
			doc = make(map[string]any, n+1)
			for i, c := range cols[:n] {
				if b, ok := vals[i].([]byte); ok {
					vals[i] = string(b)
				}
				doc[c] = vals[i]
			}
		}
		if vals[n] != nil {
			groups = append(groups, map[string]any{"value": vals[n], "display": vals[n+1]})
		}
	}
	if doc != nil {
		doc["groups"] = groups
	}
	return doc, rows.Err()
}

// bareNarrowHandler is the earlier GET baseline, kept beside the new one
// for comparison with earlier runs: five columns of the user's row by id
// alone, no groups.
func bareNarrowHandler(db *sql.DB, postgres bool) http.Handler {
	q := `SELECT id, user_name, given_name, family_name, active FROM users WHERE id = ?`
	if postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var u struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
			Given    string `json:"givenName"`
			Family   string `json:"familyName"`
			Active   bool   `json:"active"`
		}
		var given, family sql.NullString
		if err := db.QueryRowContext(r.Context(), q, id).Scan(&u.ID, &u.UserName, &given, &family, &u.Active); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		u.Given, u.Family = given.String, family.String
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(u)
	})
}

// bareWriteHandler is the baseline for POST /Users and PATCH active=false,
// the write twin of bareHandler: a net/http handler that, per request,
// decodes a small JSON body and inserts the user's row into the real users
// table of a directory and its user.created event into the real events
// table, then answers 201 with the id, and nothing else (no auth, no ORM,
// no SCIM, no look-up of the directory: its organization and id come in
// the path). The users triggers that keep directories.user_total fire, as
// they do for the server.
//
// On PostgreSQL the two rows go in with one statement, a data-modifying
// CTE (WITH u AS (INSERT INTO users ... RETURNING ...) INSERT INTO events
// ... SELECT ... FROM u), autocommitted. SQLite has no data-modifying
// CTEs: there the two INSERTs run in one transaction on one connection
// (BEGIN IMMEDIATE, from the store's DSN).
//
// Rows are written as the server writes them: a tagged user id
// (tableid.New), user_name_key folded by schematype.FoldKey, times as
// time.Time in UTC (the SQLite DSN's _time_format=sqlite turns them into
// the same sortable text ent writes), the event's data as JSON.
func bareWriteHandler(db *sql.DB, postgres bool) http.Handler {
	const userCols = `id, created_at, updated_at, user_name, user_name_key, given_name, family_name, active, directory_id, organization_id`
	const eventCols = `type, directory_id, subject_id, actor_type, data, created_at, organization_id`
	pgQ := `WITH u AS (INSERT INTO users (` + userCols + `) VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id, directory_id, organization_id, created_at)
		INSERT INTO events (` + eventCols + `)
		SELECT '` + events.TypeUserCreated + `', u.directory_id, u.id, $10, $11::jsonb, u.created_at, u.organization_id FROM u`
	liteUser := `INSERT INTO users (` + userCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	liteEvent := `INSERT INTO events (` + eventCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org, err1 := uuid.Parse(r.PathValue("org"))
		dir, err2 := uuid.Parse(r.PathValue("dir"))
		if err1 != nil || err2 != nil {
			http.Error(w, "bad organization or directory id", http.StatusBadRequest)
			return
		}
		var in struct {
			UserName   string `json:"userName"`
			GivenName  string `json:"givenName"`
			FamilyName string `json:"familyName"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.UserName == "" {
			http.Error(w, "want a JSON body with a userName", http.StatusBadRequest)
			return
		}
		id := tableid.New(tableid.User)
		now := time.Now().UTC()
		data, err := json.Marshal(map[string]any{"id": id, "userName": in.UserName, "givenName": in.GivenName,
			"familyName": in.FamilyName, "active": true, "directoryID": dir, "organizationID": org,
			"createdAt": now, "updatedAt": now, "version": 1, "roles": []string{}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		key := schematype.FoldKey(in.UserName)
		if postgres {
			_, err = db.ExecContext(r.Context(), pgQ, id, now, in.UserName, key, in.GivenName, in.FamilyName, true,
				dir, org, bareActor, string(data))
		} else {
			err = liteWrite(r.Context(), db, liteUser, liteEvent,
				[]any{id, now, now, in.UserName, key, in.GivenName, in.FamilyName, true, dir, org},
				[]any{events.TypeUserCreated, dir, id, bareActor, string(data), now, org})
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "userName": in.UserName})
	})
}

// bareActor is the actor type the bare write handler records: the one of a
// directory token, which is what calls POST /Users.
const bareActor = "provisioner"

// liteWrite runs the SQLite bare write: the user's INSERT and the event's
// in one transaction on one connection.
func liteWrite(ctx context.Context, db *sql.DB, userQ, eventQ string, userArgs, eventArgs []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bare write: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, userQ, userArgs...); err != nil {
		return fmt.Errorf("bare write: insert user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, eventQ, eventArgs...); err != nil {
		return fmt.Errorf("bare write: insert event: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bare write: commit: %w", err)
	}
	return nil
}

// insertLoop is the database's own ceiling for inserts, shown beside the
// write baselines but no row's baseline: clients goroutines inserting one
// user-sized row per autocommitted statement into a scratch table of the
// same database (primary key plus a unique index, like users) for d.
func insertLoop(ctx context.Context, db *sql.DB, postgres bool, table string, clients int, d time.Duration) measurement {
	q := `INSERT INTO ` + table + ` (id, directory_id, user_name, created_at) VALUES (?, ?, ?, ?)`
	if postgres {
		q = `INSERT INTO ` + table + ` (id, directory_id, user_name, created_at) VALUES ($1, $2, $3, $4)`
	}
	dir := uuid.New().String()
	var seq atomic.Int64
	var m measurement
	lat := make(chan []time.Duration, clients)
	errc := make(chan int, clients)
	deadline := time.Now().Add(d)
	start := time.Now()
	for range clients {
		go func() {
			var local []time.Duration
			errs := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				n := seq.Add(1)
				t0 := time.Now()
				_, err := db.ExecContext(ctx, q, uuid.New().String(), dir, fmt.Sprintf("raw-%d@bench.example", n), time.Now().UTC().Format(time.RFC3339Nano))
				if err != nil {
					errs++
					continue
				}
				local = append(local, time.Since(t0))
			}
			lat <- local
			errc <- errs
		}()
	}
	var all []time.Duration
	for range clients {
		all = append(all, <-lat...)
		m.errors += <-errc
	}
	m.elapsed = time.Since(start)
	m.requests = len(all)
	slices.Sort(all)
	m.p50, m.p99 = simulate.Percentile(all, 0.5), simulate.Percentile(all, 0.99)
	return m
}

// createScratch makes the raw insert loop's table.
func createScratch(ctx context.Context, db *sql.DB, table string) error {
	for _, q := range []string{
		`CREATE TABLE ` + table + ` (id text PRIMARY KEY, directory_id text NOT NULL, user_name text NOT NULL, created_at text NOT NULL)`,
		`CREATE UNIQUE INDEX ` + table + `_name ON ` + table + ` (directory_id, user_name)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bench: scratch table: %w", err)
		}
	}
	return nil
}
