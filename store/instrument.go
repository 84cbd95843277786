package store

import (
	"entgo.io/ent/dialect"

	"github.com/acme/directory/ent"
)

// Instrument puts wrap around the driver every statement of the store goes
// through (metrics.CountStatements counts them per request) and replaces
// Client with a client of the wrapped driver. Call it once, before the
// client is handed out: clients made earlier keep the unwrapped driver.
func (s *Store) Instrument(wrap func(dialect.Driver) dialect.Driver) {
	s.driver = wrap(s.driver)
	s.Client = ent.NewClient(ent.Driver(s.driver))
}
