// Package simulate plays an identity provider against a SCIM 2.0 endpoint:
// a JumpCloud-style initial sync (look each user up by userName, create it
// if missing; create the groups, then add their members in batches), then
// churn for a while (updates by PUT and PATCH, deactivations, renames,
// membership moves, group disassociations that remove every member in one
// PATCH). It keeps a model of what it did, so the directory's final state
// can be checked against it ([Simulator.Verify]), and reports counts,
// failures and latencies per operation.
//
// The `directory simulate` command and the `make bench` harness use it.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config is one simulation.
type Config struct {
	// URL is the directory's SCIM base URL (".../scim/v2/{directory id}").
	URL string
	// Token is the directory's bearer token.
	Token string
	// Users and Groups are how many of each the sync provisions.
	Users, Groups int
	// Concurrency is how many requests are in flight at once (default 4).
	Concurrency int
	// Duration is how long churn runs after the sync; zero: no churn.
	Duration time.Duration
	// Seed makes the names and the churn reproducible.
	Seed uint64
	// BatchSize is how many members one PATCH adds during the sync
	// (default 100, JumpCloud's order of magnitude).
	BatchSize int
	// Prefix starts every userName and group name (default "sim"), so
	// several simulations can share a directory.
	Prefix string
	// HTTPClient sends the requests; nil: one sized for Concurrency.
	HTTPClient *http.Client
	// Progress, when set, receives a progress line about twice a second.
	Progress io.Writer
}

// Simulator runs one simulation and remembers what it did.
type Simulator struct {
	cfg Config
	c   *client

	users  []*userState
	groups []*groupState
	// byID maps a user id to its index in users.
	byID map[string]int

	phase    atomic.Value // string
	progress atomic.Int64 // items done in the current phase
}

type userState struct {
	mu         sync.Mutex
	id         string
	userName   string
	externalID string
	givenName  string
	familyName string
	title      string
	active     bool
	renames    int
}

type groupState struct {
	mu          sync.Mutex
	id          string
	displayName string
	members     map[int]bool // user indices
	renames     int
}

// New checks cfg and returns a simulator for it.
func New(cfg Config) (*Simulator, error) {
	if cfg.URL == "" || cfg.Token == "" {
		return nil, errors.New("simulate: the SCIM URL and the bearer token are required")
	}
	if cfg.Users < 1 || cfg.Groups < 0 {
		return nil, fmt.Errorf("simulate: need at least one user and no negative group count (users %d, groups %d)", cfg.Users, cfg.Groups)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "sim"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient(cfg.Concurrency)
	}
	s := &Simulator{cfg: cfg, byID: map[string]int{},
		c: &client{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: cfg.HTTPClient, rec: newRecorder()}}
	s.phase.Store("")
	for i := range cfg.Users {
		s.users = append(s.users, &userState{
			userName:   fmt.Sprintf("%s-u%06d-%x@sim.example", cfg.Prefix, i, cfg.Seed),
			externalID: fmt.Sprintf("%s-ext-%d-%x", cfg.Prefix, i, cfg.Seed),
			givenName:  firstNames[i%len(firstNames)],
			familyName: lastNames[(i/len(firstNames))%len(lastNames)],
			title:      "Engineer",
			active:     true,
		})
	}
	for j := range cfg.Groups {
		s.groups = append(s.groups, &groupState{
			displayName: fmt.Sprintf("%s group %03d %x", cfg.Prefix, j, cfg.Seed),
			members:     map[int]bool{},
		})
	}
	return s, nil
}

// Run performs the initial sync and then churn for cfg.Duration, and
// returns the report. A failed request is counted, not fatal; Run fails
// only when the sync could not create what churn needs.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx)
}

// Run is [Run] on a simulator, which keeps its model for [Simulator.Verify].
func (s *Simulator) Run(ctx context.Context) (*Report, error) {
	stop := s.startProgress()
	defer stop()
	rep := &Report{Users: s.cfg.Users, Groups: s.cfg.Groups}
	start := time.Now()
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	rep.Sync = time.Since(start)
	if s.cfg.Duration > 0 {
		start = time.Now()
		if err := s.Churn(ctx, s.cfg.Duration); err != nil {
			return nil, err
		}
		rep.Churn = time.Since(start)
	}
	rep.Ops = s.c.rec.snapshot()
	return rep, nil
}

// Report summarises the requests sent so far.
func (s *Simulator) Report() *Report {
	return &Report{Users: s.cfg.Users, Groups: s.cfg.Groups, Ops: s.c.rec.snapshot()}
}

// UserIDs returns the server's ids of the simulated users, in order.
func (s *Simulator) UserIDs() []string {
	ids := make([]string, len(s.users))
	for i, u := range s.users {
		ids[i] = u.id
	}
	return ids
}

// each runs f for 0..n-1 on cfg.Concurrency workers, stopping at the first
// error.
func (s *Simulator) each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			err := f(ctx, i)
			s.progress.Add(1)
			return err
		})
	}
	return g.Wait()
}

// Sync is the initial sync: every user looked up by userName and created
// when missing, then every group looked up and created, then its members
// added in batches. User i starts in group i mod Groups.
func (s *Simulator) Sync(ctx context.Context) error {
	s.setPhase("sync users")
	err := s.each(ctx, len(s.users), func(ctx context.Context, i int) error {
		u := s.users[i]
		found, err := s.c.find(ctx, "lookup_user", "Users", "userName", u.userName)
		if err != nil {
			return fmt.Errorf("simulate: sync user %s: %w", u.userName, err)
		}
		if found == nil {
			found, err = s.c.create(ctx, "create_user", "Users", s.userDoc(u))
			if err != nil {
				return fmt.Errorf("simulate: sync user %s: %w", u.userName, err)
			}
		} else {
			// Already there (a re-run): make it what this simulation says.
			if _, err := s.c.do(ctx, "put_user", http.MethodPut, "/Users/"+found.ID, s.userDoc(u)); err != nil {
				return fmt.Errorf("simulate: sync user %s: %w", u.userName, err)
			}
		}
		u.id = found.ID
		return nil
	})
	if err != nil {
		return err
	}
	for i, u := range s.users {
		s.byID[u.id] = i
	}
	s.setPhase("sync groups")
	return s.each(ctx, len(s.groups), func(ctx context.Context, j int) error {
		g := s.groups[j]
		found, err := s.c.find(ctx, "lookup_group", "Groups", "displayName", g.displayName)
		if err != nil {
			return fmt.Errorf("simulate: sync group %s: %w", g.displayName, err)
		}
		if found == nil {
			found, err = s.c.create(ctx, "create_group", "Groups", map[string]any{
				"schemas": []string{groupSchema}, "displayName": g.displayName})
		} else {
			_, err = s.c.do(ctx, "put_group", http.MethodPut, "/Groups/"+found.ID, map[string]any{
				"schemas": []string{groupSchema}, "displayName": g.displayName, "members": []any{}})
		}
		if err != nil {
			return fmt.Errorf("simulate: sync group %s: %w", g.displayName, err)
		}
		g.id = found.ID
		var batch []int
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := s.c.patch(ctx, "patch_add_members", "/Groups/"+g.id, addMembers(s.users, batch)); err != nil {
				return fmt.Errorf("simulate: sync group %s members: %w", g.displayName, err)
			}
			for _, i := range batch {
				g.members[i] = true
			}
			batch = batch[:0]
			return nil
		}
		for i := j; i < len(s.users); i += len(s.groups) {
			batch = append(batch, i)
			if len(batch) == s.cfg.BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// userDoc is the whole SCIM representation of a user, as a PUT or POST
// sends it.
func (s *Simulator) userDoc(u *userState) map[string]any {
	return map[string]any{
		"schemas":    []string{userSchema},
		"userName":   u.userName,
		"externalId": u.externalID,
		"name":       map[string]any{"givenName": u.givenName, "familyName": u.familyName},
		"emails":     []any{map[string]any{"value": u.userName, "type": "work", "primary": true}},
		"title":      u.title,
		"active":     u.active,
	}
}

// addMembers is a PATCH operation adding the users at idx.
func addMembers(users []*userState, idx []int) map[string]any {
	vals := make([]any, len(idx))
	for k, i := range idx {
		vals[k] = map[string]any{"value": users[i].id}
	}
	return map[string]any{"op": "add", "path": "members", "value": vals}
}

// removeMembers is a PATCH operation removing the users at idx, listed by
// value (what JumpCloud sends).
func removeMembers(users []*userState, idx []int) map[string]any {
	vals := make([]any, len(idx))
	for k, i := range idx {
		vals[k] = map[string]any{"value": users[i].id}
	}
	return map[string]any{"op": "remove", "path": "members", "value": vals}
}

// churnOp is one kind of change churn makes, with its weight.
type churnOp struct {
	weight int
	run    func(s *Simulator, ctx context.Context, rnd *rand.Rand) error
}

var churnOps = []churnOp{
	{6, (*Simulator).putUser},
	{6, (*Simulator).patchUser},
	{3, (*Simulator).toggleActive},
	{2, (*Simulator).renameUser},
	{1, (*Simulator).renameGroup},
	{5, (*Simulator).moveMember},
	{1, (*Simulator).disassociate},
}

// Churn changes the directory for d on cfg.Concurrency workers. Each
// change locks the model's entities it touches, so concurrent workers never
// race on one resource and the model stays exact.
func (s *Simulator) Churn(ctx context.Context, d time.Duration) error {
	s.setPhase("churn")
	total := 0
	for _, o := range churnOps {
		total += o.weight
	}
	// The deadline stops workers between changes, never during one: a
	// request cancelled in flight may or may not have been applied, and
	// the model must know which.
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range s.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(s.cfg.Seed, uint64(w)+1))
			for ctx.Err() == nil && time.Now().Before(deadline) {
				k := rnd.IntN(total)
				for _, o := range churnOps {
					if k < o.weight {
						// A failed request is recorded; churn goes on.
						_ = o.run(s, ctx, rnd)
						break
					}
					k -= o.weight
				}
				s.progress.Add(1)
			}
		}()
	}
	wg.Wait()
	return nil
}

// lockUser picks a random user and locks it.
func (s *Simulator) lockUser(rnd *rand.Rand) *userState {
	u := s.users[rnd.IntN(len(s.users))]
	u.mu.Lock()
	return u
}

// putUser replaces a user with a new title.
func (s *Simulator) putUser(ctx context.Context, rnd *rand.Rand) error {
	u := s.lockUser(rnd)
	defer u.mu.Unlock()
	title := titles[rnd.IntN(len(titles))]
	doc := s.userDoc(u)
	doc["title"] = title
	if _, err := s.c.do(ctx, "put_user", http.MethodPut, "/Users/"+u.id, doc); err != nil {
		return err
	}
	u.title = title
	return nil
}

// patchUser changes a user's given name by PATCH.
func (s *Simulator) patchUser(ctx context.Context, rnd *rand.Rand) error {
	u := s.lockUser(rnd)
	defer u.mu.Unlock()
	given := firstNames[rnd.IntN(len(firstNames))]
	if err := s.c.patch(ctx, "patch_user", "/Users/"+u.id,
		map[string]any{"op": "replace", "path": "name.givenName", "value": given}); err != nil {
		return err
	}
	u.givenName = given
	return nil
}

// toggleActive deactivates an active user (active=false, as JumpCloud
// does on unassignment) or reactivates an inactive one.
func (s *Simulator) toggleActive(ctx context.Context, rnd *rand.Rand) error {
	u := s.lockUser(rnd)
	defer u.mu.Unlock()
	op := "deactivate_user"
	if !u.active {
		op = "reactivate_user"
	}
	if err := s.c.patch(ctx, op, "/Users/"+u.id,
		map[string]any{"op": "replace", "value": map[string]any{"active": !u.active}}); err != nil {
		return err
	}
	u.active = !u.active
	return nil
}

// renameUser changes a user's userName.
func (s *Simulator) renameUser(ctx context.Context, rnd *rand.Rand) error {
	u := s.lockUser(rnd)
	defer u.mu.Unlock()
	local, domain, _ := strings.Cut(u.userName, "@")
	if k := strings.Index(local, ".r"); k >= 0 {
		local = local[:k]
	}
	name := fmt.Sprintf("%s.r%d@%s", local, u.renames+1, domain)
	if err := s.c.patch(ctx, "rename_user", "/Users/"+u.id,
		map[string]any{"op": "replace", "path": "userName", "value": name}); err != nil {
		return err
	}
	u.userName, u.renames = name, u.renames+1
	return nil
}

// lockGroups picks n distinct random groups and locks them in index order.
func (s *Simulator) lockGroups(rnd *rand.Rand, n int) []*groupState {
	if len(s.groups) < n {
		return nil
	}
	idx := rnd.Perm(len(s.groups))[:n]
	picked := make([]*groupState, n)
	for k, j := range idx {
		picked[k] = s.groups[j]
	}
	order := append([]int(nil), idx...)
	for a := range order { // n is 1 or 2: a tiny sort
		for b := a + 1; b < len(order); b++ {
			if order[b] < order[a] {
				order[a], order[b] = order[b], order[a]
			}
		}
	}
	for _, j := range order {
		s.groups[j].mu.Lock()
	}
	return picked
}

func unlock(gs []*groupState) {
	for _, g := range gs {
		g.mu.Unlock()
	}
}

// renameGroup changes a group's displayName.
func (s *Simulator) renameGroup(ctx context.Context, rnd *rand.Rand) error {
	gs := s.lockGroups(rnd, 1)
	if gs == nil {
		return nil
	}
	defer unlock(gs)
	g := gs[0]
	base, _, _ := strings.Cut(g.displayName, " (renamed")
	name := fmt.Sprintf("%s (renamed %d)", base, g.renames+1)
	if err := s.c.patch(ctx, "rename_group", "/Groups/"+g.id,
		map[string]any{"op": "replace", "path": "displayName", "value": name}); err != nil {
		return err
	}
	g.displayName, g.renames = name, g.renames+1
	return nil
}

// moveMember moves one user from one group to another: a PATCH remove on
// the first, a PATCH add on the second. With no member to move it adds a
// random user to the second group.
func (s *Simulator) moveMember(ctx context.Context, rnd *rand.Rand) error {
	gs := s.lockGroups(rnd, 2)
	if gs == nil {
		return nil
	}
	defer unlock(gs)
	from, to := gs[0], gs[1]
	var candidates []int
	for i := range from.members {
		if !to.members[i] {
			candidates = append(candidates, i)
		}
	}
	var i int
	if len(candidates) == 0 {
		i = rnd.IntN(len(s.users))
		if to.members[i] {
			return nil
		}
	} else {
		i = candidates[rnd.IntN(len(candidates))]
		if err := s.c.patch(ctx, "patch_remove_member", "/Groups/"+from.id, removeMembers(s.users, []int{i})); err != nil {
			return err
		}
		delete(from.members, i)
	}
	if err := s.c.patch(ctx, "patch_add_member", "/Groups/"+to.id, addMembers(s.users, []int{i})); err != nil {
		return err
	}
	to.members[i] = true
	return nil
}

// disassociate removes every member of a group in one PATCH, as JumpCloud
// does when a group is unbound from the application; the group stays.
func (s *Simulator) disassociate(ctx context.Context, rnd *rand.Rand) error {
	gs := s.lockGroups(rnd, 1)
	if gs == nil {
		return nil
	}
	defer unlock(gs)
	g := gs[0]
	if len(g.members) == 0 {
		return nil
	}
	idx := make([]int, 0, len(g.members))
	for i := range g.members {
		idx = append(idx, i)
	}
	if err := s.c.patch(ctx, "disassociate_group", "/Groups/"+g.id, removeMembers(s.users, idx)); err != nil {
		return err
	}
	clear(g.members)
	return nil
}

// setPhase names what the progress line counts.
func (s *Simulator) setPhase(p string) {
	s.phase.Store(p)
	s.progress.Store(0)
}

// startProgress writes a progress line to cfg.Progress until stopped.
func (s *Simulator) startProgress() (stop func()) {
	if s.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(s.cfg.Progress, "\r%-100s\r", "")
				return
			case <-t.C:
			}
			phase := s.phase.Load().(string)
			of := ""
			switch phase {
			case "sync users":
				of = fmt.Sprintf("/%d", len(s.users))
			case "sync groups":
				of = fmt.Sprintf("/%d", len(s.groups))
			}
			fmt.Fprintf(s.cfg.Progress, "\r%6s  %-11s %d%s  requests %d  failed %d   ",
				time.Since(start).Round(time.Second), phase, s.progress.Load(), of,
				s.c.rec.total.Load(), s.c.rec.fails.Load())
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis", "Radia", "John"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie", "Perlman", "Backus"}
	titles     = []string{"Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Designer", "Support"}
)
