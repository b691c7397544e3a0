// Command secwg-load measures secwg's acknowledgement path on loopback: it runs
// the real secwg binary against a stub GitHub API and drives it, a bare
// HMAC-checking server and, where Node is installed, @octokit/webhooks'
// middleware at the same open-loop request rates, interleaved, and compares
// their latency and CPU per delivery. A comparison is printed only when the
// generator's own send lag is small beside what it measures.
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
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitGoalHolds = 0
	exitGoalFails = 1
	exitSetup     = 2
)

// maxRequests bounds a run, whatever its flags say.
const maxRequests = 2_000_000

type options struct {
	binary         string
	rates          []int
	scenarios      []scenario
	duration       time.Duration
	warmup         time.Duration
	rounds         int
	spin           time.Duration
	realtime       bool
	goal           float64
	cpuGoal        float64
	octokit        bool
	octokitVersion string
	logLevel       string
	serverLog      string
	queueSize      int
	workers        int
	timeout        time.Duration
	deadline       time.Duration
	jsonOut        bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == serveBareCommand {
		if err := serveBare(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "secwg-load %s: %v\n", serveBareCommand, err)
			os.Exit(exitSetup)
		}
		return
	}
	setSenderProcs()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// setSenderProcs gives the generator more Ps than processors, unless
// GOMAXPROCS says otherwise. The sender holds one P on its own thread and
// gives it up in each sleep; with a P idle, it takes one straight back on
// waking, and the runtime does not take its P away for the readers, which
// would leave it waiting for another thread to hand it one.
func setSenderProcs() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(max(4, runtime.NumCPU()+2))
	}
}

// parseFlags reads the command line; the error is for the user.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var rates, scenarios string
	fs := flag.NewFlagSet("secwg-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.binary, "binary", "bin/secwg", "secwg binary to run (build it with make build)")
	fs.StringVar(&rates, "rates", "1000,5000", "comma-separated requests per second sent to each target, open loop")
	fs.StringVar(&scenarios, "scenarios", "ignored,duplicate,handled", "comma-separated kinds of delivery: "+scenarioNames())
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measured time per target and cell (rate and scenario), over all rounds")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "time sent to each target at the start of each cell, and discarded")
	fs.IntVar(&o.rounds, "rounds", 3, "slices the measured time is cut into, run on each target in turn, the order rotating each round, and pooled")
	fs.DurationVar(&o.spin, "spin", 200*time.Microsecond, "how long before each send the generator stops sleeping and spins, at most a quarter of the interval between sends; longer costs CPU, shorter risks lag")
	fs.BoolVar(&o.realtime, "realtime", true, "send from a thread at real-time priority (SCHED_FIFO) where permitted, so that other work on the machine delays the sends less; the targets keep normal priority")
	fs.Float64Var(&o.goal, "goal", 1.25, "largest acceptable ratio of secwg's p99 to the bare server's, for ignored deliveries")
	fs.Float64Var(&o.cpuGoal, "cpu-goal", 50, "largest acceptable secwg CPU per ignored delivery, in microseconds")
	fs.BoolVar(&o.octokit, "octokit", true, "also measure @octokit/webhooks' Node middleware when node and npm are on PATH (npm installs it into a temporary folder)")
	fs.StringVar(&o.octokitVersion, "octokit-version", "13", "@octokit/webhooks version for npm")
	fs.StringVar(&o.logLevel, "log-level", "info", "SECWG_LOG_LEVEL for secwg")
	fs.StringVar(&o.serverLog, "server-log", "", "keep secwg's log in this file (default: a temporary file, removed)")
	fs.IntVar(&o.queueSize, "queue-size", 1000, "SECWG_QUEUE_SIZE for secwg (the server default)")
	fs.IntVar(&o.workers, "workers", 4, "SECWG_WORKERS for secwg")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout; a request past it counts as a transport error")
	fs.DurationVar(&o.deadline, "deadline", 15*time.Minute, "the whole run stops after this long; requests not sent count as errors")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return o, errFlagsShown
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.rates, err = parseRates(rates); err != nil {
		return o, err
	}
	if o.scenarios, err = parseScenarios(scenarios); err != nil {
		return o, err
	}
	if o.duration <= 0 || o.warmup < 0 || o.rounds <= 0 || o.spin < 0 || o.goal <= 0 || o.cpuGoal <= 0 || o.timeout <= 0 || o.deadline <= 0 {
		return o, errors.New("--duration, --rounds, --goal, --cpu-goal, --timeout and --deadline must be positive, --warmup and --spin not negative")
	}
	if o.duration/time.Duration(o.rounds) < 100*time.Millisecond {
		return o, errors.New("--duration / --rounds must be at least 100ms")
	}
	if n := plannedRequests(o, 3); n > maxRequests {
		return o, fmt.Errorf("the run would send %d requests; at most %d are allowed", n, maxRequests)
	}
	return o, nil
}

// errFlagsShown says the flag package has already told the user.
var errFlagsShown = errors.New("bad flags")

func parseRates(s string) ([]int, error) {
	var rates []int
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 || r > 100_000 {
			return nil, fmt.Errorf("--rates: %q is not a rate between 1 and 100000 a second", f)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

// plannedRequests is how many requests the run sends to targets targets.
func plannedRequests(o options, targets int) int {
	n := 0
	for _, r := range o.rates {
		n += (countWithin(o.warmup, r) + o.rounds*countWithin(o.duration/time.Duration(o.rounds), r)) * len(o.scenarios) * targets
	}
	return n
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, errFlagsShown) {
			fmt.Fprintf(stderr, "secwg-load: %v\n", err)
		}
		return exitSetup
	}
	// Interrupted, it still stops its servers and reports what it measured.
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(sigCtx, o.deadline)
	defer cancel()
	// The sender turns garbage collection off while it sends; this bounds its heap.
	debug.SetMemoryLimit(2 << 30)
	rep, err := measure(ctx, o, stderr)
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

// runningTarget is a target server as the driver sees it.
type runningTarget struct {
	name string
	url  string
	pid  int
	pool *connPool
	// The process's CPU per second while nothing is sent to it, taken away
	// from what it uses while measured.
	idleCPU   time.Duration
	idleCPUOK bool
}

// idleSample is how long every target's idle CPU is watched before the first cell.
const idleSample = time.Second

// settle is how long after a round's last answer its target's CPU is still
// counted, for work a server does after it answers.
const settle = 20 * time.Millisecond

// measureIdleCPU sets each target's CPU per second while nothing is sent to any.
func measureIdleCPU(ctx context.Context, targets []runningTarget) {
	before := make([]cpuReading, len(targets))
	for i, t := range targets {
		before[i] = readCPU(t.pid)
	}
	t0 := time.Now()
	select {
	case <-time.After(idleSample):
	case <-ctx.Done():
	}
	window := time.Since(t0)
	for i := range targets {
		d, ok := cpuBetween(before[i], readCPU(targets[i].pid))
		targets[i].idleCPUOK = ok
		if ok && window > 0 {
			targets[i].idleCPU = time.Duration(float64(d) / window.Seconds())
		}
	}
}

// measure starts the targets, drives them cell by cell and builds the report.
func measure(ctx context.Context, o options, stderr io.Writer) (*report, error) {
	secret := "secwg-load-webhook-secret" //nolint:gosec // a throwaway secret for servers on loopback
	var notes []string

	api, err := startStubAPI()
	if err != nil {
		return nil, fmt.Errorf("starting the stub GitHub API: %w", err)
	}
	defer api.Close()

	stop := func(name string, c *child) {
		if err := c.Stop(15 * time.Second); err != nil {
			fmt.Fprintf(stderr, "secwg-load: stopping %s: %v\n", name, err)
		}
	}
	bareDir, err := os.MkdirTemp("", "secwg-load-bare-")
	if err != nil {
		return nil, err
	}
	bare, err := startBareProcess(secret, bareDir)
	if err != nil {
		os.RemoveAll(bareDir)
		return nil, fmt.Errorf("starting the bare server: %w", err)
	}
	defer stop("the bare server", bare)

	sw, err := startSecwg(secwgConfig{
		binary:    o.binary,
		apiURL:    api.URL + "/",
		secret:    secret,
		logLevel:  o.logLevel,
		logPath:   o.serverLog,
		queueSize: o.queueSize,
		workers:   o.workers,
	})
	if err != nil {
		return nil, fmt.Errorf("starting secwg: %w", err)
	}
	defer stop("secwg", sw)

	type proc struct {
		name string
		c    *child
	}
	procs := []proc{{"bare", bare}, {"secwg", sw}}
	switch _, _, found := nodeTools(); {
	case !o.octokit:
		notes = append(notes, "@octokit/webhooks not measured: --octokit=false")
	case !found:
		notes = append(notes, "@octokit/webhooks not measured: node and npm are not both on PATH")
	default:
		oc, err := startOctokit(ctx, secret, o.octokitVersion, stderr)
		if err != nil {
			return nil, fmt.Errorf("starting @octokit/webhooks: %w", err)
		}
		defer stop("@octokit/webhooks", oc)
		procs = append(procs, proc{"octokit", oc})
	}

	// Enough connections for a burst of slow answers at the highest rate,
	// and no more: when a target stalls, requests wait for a connection.
	maxConns := max(100, slices.Max(o.rates)/10)
	var targets []runningTarget
	for _, p := range procs {
		u := p.c.URL + webhookPath
		pool, err := newConnPool(u, maxConns, o.timeout)
		if err != nil {
			return nil, err
		}
		defer pool.Close()
		targets = append(targets, runningTarget{name: p.name, url: u, pid: p.c.Pid(), pool: pool})
	}
	pc, err := newPacer(o.spin, o.realtime)
	if err != nil {
		return nil, fmt.Errorf("setting up the send clock: %w", err)
	}
	defer pc.Close()
	fmt.Fprintf(stderr, "secwg-load: watching the idle targets' CPU for %s\n", idleSample)
	measureIdleCPU(ctx, targets)

	sign := newSigner([]byte(secret))
	ids := newDeliveryIDs(time.Now())
	metricsClient := &http.Client{Timeout: o.timeout, Transport: &http.Transport{Proxy: nil}}
	defer metricsClient.CloseIdleConnections()
	var cells []cell
	rtNoted := false
	for _, rate := range o.rates {
		for _, sc := range o.scenarios {
			before, err := scrapeMetrics(metricsClient, sw.metricsURLs)
			if err != nil {
				return nil, fmt.Errorf("reading secwg's /metrics: %w", err)
			}
			results, realtime := runCell(ctx, o, pc, targets, sc, rate, sign, ids, stderr)
			if o.realtime && !realtime && !rtNoted {
				notes = append(notes, fmt.Sprintf("from %s at %d/s on, the sender ran at normal priority: %v", sc.name, rate, pc.rtErr))
				rtNoted = true
			}
			after, err := scrapeMetrics(metricsClient, sw.metricsURLs)
			if err != nil {
				return nil, fmt.Errorf("reading secwg's /metrics: %w", err)
			}
			c := buildCell(sc, rate, targets, results, after.since(before))
			c.SenderRealtime = realtime
			cells = append(cells, c)
			if ctx.Err() != nil {
				notes = append(notes, fmt.Sprintf("the run stopped early (interrupted, or past its --deadline of %s); the last cell is incomplete", o.deadline))
				return buildReport(o, cells, notes), nil
			}
		}
	}
	return buildReport(o, cells, notes), nil
}

// runCell measures every target at one rate with one scenario: a warmup each,
// then rounds whose order rotates (A B C, B C A, C A B, ...), so that the
// machine's noise, which comes and goes over seconds, falls on all alike. It
// also says whether every send went out at real-time priority.
func runCell(ctx context.Context, o options, pc *pacer, targets []runningTarget, sc scenario, rate int, sign signer, ids *deliveryIDs, stderr io.Writer) ([]result, bool) {
	shots := make([]shot, len(targets))
	for i, t := range targets {
		var src idSource = ids
		if sc.repeatID {
			// One ID per target and cell: the first is processed, the rest are redeliveries.
			src = repeatID(ids.next())
		}
		shots[i] = shot{url: t.url, event: sc.event, body: sc.body, signer: sign, ids: src}
	}
	realtime := true
	results := make([]result, len(targets))
	for i := range targets {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "secwg-load: %s at %d/s: warming up %s for %s\n", sc.name, rate, targets[i].name, o.warmup)
		d0 := targets[i].pool.dials.Load()
		drive(ctx, targets[i].pool, pc, shots[i], rate, countWithin(o.warmup, rate))
		realtime = realtime && pc.gotRealtime
		results[i].dials += targets[i].pool.dials.Load() - d0
		results[i].cpuOK = targets[i].idleCPUOK
	}
	slice := o.duration / time.Duration(o.rounds)
	n := countWithin(slice, rate)
	for round := range o.rounds {
		for k := range targets {
			i := (k + round) % len(targets)
			t := targets[i]
			if ctx.Err() != nil {
				return results, realtime
			}
			fmt.Fprintf(stderr, "secwg-load: %s at %d/s: round %d/%d: %s for %s\n", sc.name, rate, round+1, o.rounds, t.name, slice)
			sh := shots[i]
			d0 := t.pool.dials.Load()
			cpu0, t0 := readCPU(t.pid), time.Now()
			r := summarize(drive(ctx, t.pool, pc, sh, rate, n), 0)
			realtime = realtime && pc.gotRealtime
			time.Sleep(settle)
			cpu1, window := readCPU(t.pid), time.Since(t0)
			cpu, ok := cpuBetween(cpu0, cpu1)
			r.dials = t.pool.dials.Load() - d0
			r.cpu = busyCPU(cpu, window, t.idleCPU)
			results[i].cpuOK = results[i].cpuOK && ok
			results[i].cpu += r.cpu
			results[i].merge(r)
		}
	}
	return results, realtime
}

const webhookPath = "/api/github/hook"

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
