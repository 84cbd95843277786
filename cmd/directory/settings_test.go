package main

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestSettingsConcurrent: replicas starting together each record their
// public URL without error, and the last write is what the commands read.
func TestSettingsConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if v, err := getSetting(ctx, st, settingPublicURL); err != nil || v != "" {
			t.Fatalf("before any serve: %q, %v", v, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = putSetting(ctx, st, settingPublicURL, fmt.Sprintf("https://r%d.example", i))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
		if err := putSetting(ctx, st, settingPublicURL, "https://dir.example"); err != nil {
			t.Fatal(err)
		}
		if v, err := getSetting(ctx, st, settingPublicURL); err != nil || v != "https://dir.example" {
			t.Fatalf("read back %q, %v", v, err)
		}
	})
}
