package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Verify reads the directory back and compares it with what the simulator
// did: every simulated user with its userName, name, title and active
// flag, every group with its displayName and exactly its members. Users
// and groups the simulation did not make are ignored. It returns one error
// listing the differences (the first 20), or nil.
func (s *Simulator) Verify(ctx context.Context) error {
	var diffs []string
	seen := map[string]bool{}
	const page = 500
	for start := 1; ; start += page {
		resp, err := s.c.do(ctx, "verify_list_users", http.MethodGet,
			fmt.Sprintf("/Users?startIndex=%d&count=%d", start, page), nil)
		if err != nil {
			return fmt.Errorf("simulate: verify: %w", err)
		}
		var l listResponse
		if err := json.Unmarshal(resp.body, &l); err != nil {
			return fmt.Errorf("simulate: verify: decode users: %w", err)
		}
		for _, r := range l.Resources {
			i, ok := s.byID[r.ID]
			if !ok {
				continue
			}
			seen[r.ID] = true
			u := s.users[i]
			active := r.Active == nil || *r.Active
			if r.UserName != u.userName || r.Name.GivenName != u.givenName || r.Name.FamilyName != u.familyName ||
				r.Title != u.title || active != u.active {
				diffs = append(diffs, fmt.Sprintf("user %s: server has userName=%q given=%q family=%q title=%q active=%v; simulated userName=%q given=%q family=%q title=%q active=%v",
					r.ID, r.UserName, r.Name.GivenName, r.Name.FamilyName, r.Title, active,
					u.userName, u.givenName, u.familyName, u.title, u.active))
			}
		}
		if len(l.Resources) == 0 || start+len(l.Resources) > l.TotalResults {
			break
		}
	}
	for _, u := range s.users {
		if !seen[u.id] {
			diffs = append(diffs, fmt.Sprintf("user %s (%s) is missing", u.id, u.userName))
		}
	}
	for _, g := range s.groups {
		r, err := s.c.get(ctx, "verify_get_group", "/Groups/"+g.id)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("group %s (%s): %v", g.id, g.displayName, err))
			continue
		}
		if r.DisplayName != g.displayName {
			diffs = append(diffs, fmt.Sprintf("group %s: server has displayName %q, simulated %q", g.id, r.DisplayName, g.displayName))
		}
		got := map[string]bool{}
		for _, m := range r.Members {
			got[m.Value] = true
		}
		var missing, extra []string
		for i := range g.members {
			if !got[s.users[i].id] {
				missing = append(missing, s.users[i].userName)
			}
			delete(got, s.users[i].id)
		}
		for id := range got {
			extra = append(extra, id)
		}
		if len(missing)+len(extra) > 0 {
			sort.Strings(missing)
			sort.Strings(extra)
			diffs = append(diffs, fmt.Sprintf("group %s (%s): %d members missing %v, %d unexpected %v",
				g.id, g.displayName, len(missing), head(missing), len(extra), head(extra)))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	n := len(diffs)
	if n > 20 {
		diffs = append(diffs[:20], "...")
	}
	return errors.New("simulate: verify: " + fmt.Sprint(n) + " difference(s):\n  " + strings.Join(diffs, "\n  "))
}

// MemberCount is how many members the simulation says group j has.
func (s *Simulator) MemberCount(j int) int { return len(s.groups[j].members) }

// ActiveUsers is how many simulated users the simulation says are active.
func (s *Simulator) ActiveUsers() int {
	n := 0
	for _, u := range s.users {
		if u.active {
			n++
		}
	}
	return n
}

func head(xs []string) []string {
	if len(xs) > 5 {
		return append(xs[:5:5], "...")
	}
	return xs
}
