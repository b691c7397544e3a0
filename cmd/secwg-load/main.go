// Command secwg-load measures secwg's acknowledgement path on loopback: it runs
// the real secwg binary against a stub GitHub API, drives it and a bare
// HMAC-checking server at the same open-loop request rate, and compares their
// latency. The goal is secwg's p99 within a factor of the bare server's, with
// no errors and no queue drops.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Exit codes.
const (
	exitGoalHolds = 0
	exitGoalFails = 1
	exitSetup     = 2
)

// loadPayload is handled by secwg without any GitHub API call: it is logged,
// counted and acknowledged, which isolates the acknowledgement path.
const loadPayload = `{"action":"added","installation":{"id":1,"account":{"login":"nodejs","type":"Organization"}},"repositories_added":[{"full_name":"nodejs/node"}],"repositories_removed":[]}`

const loadEvent = "installation_repositories"

type options struct {
	binary    string
	rate      int
	duration  time.Duration
	warmup    time.Duration
	rounds    int
	goal      float64
	logLevel  string
	serverLog string
	queueSize int
	workers   int
	timeout   time.Duration
	jsonOut   bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("secwg-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.binary, "binary", "bin/secwg", "secwg binary to run (build it with make build)")
	fs.IntVar(&o.rate, "rate", 1000, "requests per second sent to each target, open loop")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per target, over all rounds")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "time sent to each target before its first measured round, and discarded")
	fs.IntVar(&o.rounds, "rounds", 5, "slices the measured time is cut into, run alternately on each target (bare, secwg, secwg, bare, ...) and pooled; 1 runs one target after the other")
	fs.Float64Var(&o.goal, "goal", 1.5, "largest acceptable ratio of secwg's p99 to the bare server's")
	fs.StringVar(&o.logLevel, "log-level", "info", "SECWG_LOG_LEVEL for secwg")
	fs.StringVar(&o.serverLog, "server-log", "", "keep secwg's log in this file (default: a temporary file, removed)")
	fs.IntVar(&o.queueSize, "queue-size", 1000, "SECWG_QUEUE_SIZE for secwg (the server default)")
	fs.IntVar(&o.workers, "workers", 4, "SECWG_WORKERS for secwg")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout; a request past it counts as a transport error")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return exitSetup
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "secwg-load: unexpected argument %q\n", fs.Arg(0))
		return exitSetup
	}
	if o.rounds > 0 && o.duration/time.Duration(o.rounds) < 100*time.Millisecond {
		fmt.Fprintln(stderr, "secwg-load: --duration / --rounds must be at least 100ms")
		return exitSetup
	}
	if o.rate <= 0 || o.duration <= 0 || o.warmup < 0 || o.rounds <= 0 || o.goal <= 0 || o.timeout <= 0 {
		fmt.Fprintln(stderr, "secwg-load: --rate, --duration, --rounds, --goal and --timeout must be positive, --warmup not negative")
		return exitSetup
	}

	rep, err := measure(context.Background(), o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "secwg-load: %v\n", err)
		return exitSetup
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "secwg-load: %v\n", err)
			return exitSetup
		}
	} else {
		io.WriteString(stdout, formatText(rep))
	}
	if rep.GoalHolds {
		return exitGoalHolds
	}
	return exitGoalFails
}

// measure sets up both targets, drives them round by round and builds the report.
func measure(ctx context.Context, o options, stderr io.Writer) (*report, error) {
	secret := []byte("secwg-load-webhook-secret")

	api, err := startStubAPI()
	if err != nil {
		return nil, fmt.Errorf("starting the stub GitHub API: %w", err)
	}
	defer api.Close()

	bare, err := startBare(secret)
	if err != nil {
		return nil, fmt.Errorf("starting the bare server: %w", err)
	}
	defer bare.Close()

	sw, err := startSecwg(secwgConfig{
		binary:    o.binary,
		apiURL:    api.URL + "/",
		secret:    string(secret),
		logLevel:  o.logLevel,
		logPath:   o.serverLog,
		queueSize: o.queueSize,
		workers:   o.workers,
	})
	if err != nil {
		return nil, fmt.Errorf("starting secwg: %w", err)
	}
	defer func() {
		if err := sw.Stop(15 * time.Second); err != nil {
			fmt.Fprintf(stderr, "secwg-load: stopping secwg: %v\n", err)
		}
	}()

	client, dials := newClient(o.rate, o.timeout)
	defer client.CloseIdleConnections()
	signer := newSigner(secret)
	ids := newDeliveryIDs(time.Now())

	// Short slices in ABBA order, so that the machine's noise, which comes and
	// goes over seconds, falls on both targets alike.
	slice := o.duration / time.Duration(o.rounds)
	bareT := named{"bare", target{url: bare.URL + webhookPath, signer: signer, ids: ids}}
	swT := named{"secwg", target{url: sw.URL + webhookPath, signer: signer, ids: ids}}
	results := map[string]*result{"bare": {}, "secwg": {}}
	var swCPU cpuMeter
	for round := range o.rounds {
		order := []named{bareT, swT}
		if round%2 == 1 {
			order = []named{swT, bareT}
		}
		for _, t := range order {
			warmup := time.Duration(0)
			if round == 0 {
				warmup = o.warmup
			}
			fmt.Fprintf(stderr, "secwg-load: round %d/%d: %s at %d req/s for %s (+%s warmup)\n",
				round+1, o.rounds, t.name, o.rate, slice, warmup)
			srv0, ok0 := cpuTime(sw.Pid())
			d0 := dials.Load()
			r := drive(ctx, client, t.target, o.rate, warmup, slice)
			r.dials = dials.Load() - d0
			results[t.name].merge(r)
			if t.name == "secwg" {
				srv1, ok1 := cpuTime(sw.Pid())
				swCPU.ok = (round == 0 || swCPU.ok) && ok0 && ok1
				swCPU.used += srv1 - srv0
				swCPU.requests += countWithin(warmup+slice, o.rate)
			}
		}
	}

	m, err := scrapeMetrics(client, sw.URL+"/metrics")
	if err != nil {
		return nil, fmt.Errorf("reading secwg's /metrics: %w", err)
	}
	return buildReport(o, *results["bare"], *results["secwg"], m, swCPU), nil
}

const webhookPath = "/api/github/hook"

type named struct {
	name string
	target
}

// errNotReady says a server did not come up in time.
var errNotReady = errors.New("not ready in time")

// getStatus GETs url and returns its status code.
func getStatus(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
