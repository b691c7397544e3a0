package coord_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/secwg/secwg/internal/coord"
)

// A delivery's life: claimed, failed (answered 500), redelivered, done; a
// redelivery of a delivery that succeeded is dropped.
func Example() {
	// SECWG_REDIS_URL; empty keeps the state in this process's memory.
	store, err := coord.Open("", coord.Options{ProcessingTTL: 2*time.Minute + time.Minute})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	body := sha256.Sum256([]byte(`{"action":"labeled"}`))

	started, _ := store.Begin(ctx, "guid-1", body)
	fmt.Println("first attempt runs:", started)
	started, _ = store.Begin(ctx, "guid-1", body)
	fmt.Println("duplicate while it runs:", started)
	_ = store.Fail(ctx, "guid-1", body)

	started, _ = store.Begin(ctx, "guid-1", body)
	fmt.Println("redelivery after a failure runs:", started)
	_ = store.Done(ctx, "guid-1", body)

	started, _ = store.Begin(ctx, "guid-1", body)
	fmt.Println("redelivery after success runs:", started)
	// Output:
	// first attempt runs: true
	// duplicate while it runs: false
	// redelivery after a failure runs: true
	// redelivery after success runs: false
}

// The periodic loops run on one replica at a time; the lock keeps two replicas
// off one meeting group.
func ExampleStore_RunAsLeader() {
	store := coord.NewMemory(coord.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	err := store.RunAsLeader(ctx, "redelivery", 30*time.Second, func(ctx context.Context) error {
		// e.g. redeliverer.Run(ctx, cfg.Redelivery.Interval); ctx ends if the lease is lost.
		held, unlock, err := store.Lock(ctx, "meeting:security-wg")
		if err != nil {
			return err
		}
		defer unlock()
		fmt.Println("leading, holding the group lock:", held.Err() == nil)
		cancel() // stop, as a shutdown would
		return nil
	})
	fmt.Println(err)
	// Output:
	// leading, holding the group lock: true
	// context canceled
}
