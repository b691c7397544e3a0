// Package config loads secwg's server configuration: a YAML file, strictly parsed,
// then environment overrides (go-githubapp's GITHUB_* names and secwg's SECWG_* names).
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/yamlstrict"
)

// Defaults for every server setting; config/secwg.example.yml documents the same values.
const (
	DefaultPort            = 8080
	DefaultQueueSize       = 1000
	DefaultWorkers         = 4
	DefaultShutdownTimeout = 10 * time.Second
	DefaultJobTimeout      = 2 * time.Minute
	DefaultCacheSize       = 64 << 20
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "json"
	DefaultWebURL          = "https://github.com"
	DefaultV3APIURL        = "https://api.github.com/"
	DefaultV4APIURL        = "https://api.github.com/graphql"
	DefaultCredentialsPath = "secwg-credentials.yml"
	DefaultConfigPath      = "config/secwg.yml"
	DefaultAdminPort       = 9090
	DefaultMaxInflight     = 64 << 20
	DefaultDrainDelay      = 5 * time.Second
	DefaultAckTimeout      = 9 * time.Second
	DefaultProxyService    = "https://smee.io"

	DefaultRedeliverInterval = 5 * time.Minute
	DefaultRedeliverWindow   = 24 * time.Hour
	DefaultRedeliverMax      = 3
	// maxRedeliverWindow is how long GitHub keeps its delivery log.
	maxRedeliverWindow = 72 * time.Hour
)

// Config is the whole server configuration.
type Config struct {
	Server  Server  `yaml:"server"`
	Logging Logging `yaml:"logging"`
	GitHub  GitHub  `yaml:"github"`
	Setup   Setup   `yaml:"setup"`

	// Meetings are the working groups whose meetings secwg runs; the server and
	// the meeting commands read the same list.
	Meetings meeting.Config `yaml:"meetings"`

	// Redis is the store replicas share; without it each keeps its own in memory.
	Redis Redis `yaml:"redis"`
	// Redelivery asks GitHub to deliver again the deliveries that failed.
	Redelivery Redelivery `yaml:"redelivery"`

	// Path is the first file the configuration was read from, "" when none was.
	Path string `yaml:"-"`
	// CredentialsLoaded is the setup page's credentials file when it was merged
	// in without being named.
	CredentialsLoaded string `yaml:"-"`
}

// Server holds the HTTP listener and the webhook work queue settings.
type Server struct {
	Address         string        `yaml:"address"`
	Port            int           `yaml:"port"`
	PublicURL       string        `yaml:"public_url"`
	QueueSize       int           `yaml:"queue_size"`
	Workers         int           `yaml:"workers"`
	JobTimeout      time.Duration `yaml:"job_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	CacheSize       ByteSize      `yaml:"cache_size"`
	// AdminAddress and AdminPort serve /metrics and the operator pages, kept off
	// the public webhook port.
	AdminAddress string `yaml:"admin_address"`
	AdminPort    int    `yaml:"admin_port"`
	// MaxInflightBytes bounds the request bodies held in memory at once.
	MaxInflightBytes ByteSize `yaml:"max_inflight_bytes"`
	// DrainDelay is how long the listener keeps accepting after SIGTERM while
	// /readyz already answers 503, so load balancers stop routing first.
	DrainDelay time.Duration `yaml:"drain_delay"`
	// WebhookProxyURL is a smee.io-style channel secwg subscribes to and hands
	// to its webhook route, for a trial on a machine GitHub cannot reach.
	WebhookProxyURL string `yaml:"webhook_proxy_url"`
	// AckTimeout is how long a handled delivery waits for its job before it is
	// answered 202 "still processing"; GitHub gives up after 10 seconds.
	AckTimeout time.Duration `yaml:"ack_timeout"`

	// AddressSet records that address was given explicitly; without it, setup
	// mode listens on loopback only.
	AddressSet bool `yaml:"-"`
}

// Redis locates the shared store.
type Redis struct {
	// URL is redis://[user:password@]host:port/db or rediss:// for TLS; it may
	// carry a password, so it is never logged or echoed in an error.
	URL string `yaml:"url"`
}

// Redelivery tunes the loop that redelivers failed deliveries.
type Redelivery struct {
	Interval    time.Duration `yaml:"interval"`
	Window      time.Duration `yaml:"window"`
	MaxAttempts int           `yaml:"max_attempts"`
}

// Logging selects the log level and format.
type Logging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// GitHub mirrors go-githubapp's configuration, plus a private key file.
type GitHub struct {
	WebURL   string `yaml:"web_url"`
	V3APIURL string `yaml:"v3_api_url"`
	V4APIURL string `yaml:"v4_api_url"`
	App      App    `yaml:"app"`
}

// App holds the GitHub App's credentials.
type App struct {
	IntegrationID  int64  `yaml:"integration_id"`
	WebhookSecret  string `yaml:"webhook_secret"`
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyPath string `yaml:"private_key_path"`

	// PrivateKeySource names where the key came from, for error messages.
	PrivateKeySource string `yaml:"-"`
}

// Setup configures the first-run page that registers the App.
type Setup struct {
	CredentialsPath string `yaml:"credentials_path"`
	// ProxyServiceURL is the smee server whose /new the setup page asks for a
	// webhook proxy channel; "none" turns that offer off.
	ProxyServiceURL string `yaml:"proxy_service_url"`
}

// Load reads the configuration from path, or from the defaults when path is "";
// see LoadFiles.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	var paths []string
	if path != "" {
		paths = []string{path}
	}
	return LoadFiles(paths, env)
}

// LoadFiles reads the configuration: each of paths in order, a later file
// overriding the keys it sets, or DefaultConfigPath when paths is empty and that
// file exists; then the credentials file the setup page writes
// (setup.credentials_path), when it exists and was not named; then the
// environment overrides it all. So after setup the same `secwg serve` starts
// with both the working group's configuration and the App's credentials. A
// private key named by path is read here so that every later check sees one value.
func LoadFiles(paths []string, env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	if env == nil {
		env = os.LookupEnv
	}
	explicit := len(paths) > 0
	if !explicit {
		paths = []string{DefaultConfigPath}
	}
	loaded := map[string]bool{}
	for _, path := range paths {
		found, err := c.decodeFile(path, explicit)
		if err != nil {
			return nil, err
		}
		if found {
			loaded[filepath.Clean(path)] = true
			if c.Path == "" {
				c.Path = path
			}
		}
	}
	creds := c.Setup.CredentialsPath
	if v, ok := env("SECWG_CREDENTIALS_PATH"); ok && v != "" {
		creds = v
	}
	if creds == "" {
		creds = DefaultCredentialsPath
	}
	if !loaded[filepath.Clean(creds)] {
		found, err := c.decodeFile(creds, false)
		if err != nil {
			return nil, err
		}
		if found {
			c.CredentialsLoaded = creds
		}
	}
	if err := c.applyEnv(env); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.loadPrivateKey(); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeFile merges one YAML file into c. A missing file is an error only when
// it was named.
func (c *Config) decodeFile(path string, required bool) (bool, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case !required && errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("reading config: %w", err)
	}
	if err := decodeStrict(path, data, c); err != nil {
		return false, err
	}
	// Calendar files are named relative to the file that names them.
	c.Meetings.ResolvePaths(filepath.Dir(path))
	c.noteSources(path, data)
	return true, nil
}

// decodeStrict parses YAML so that any key secwg does not know fails loudly with
// the file, line and key, the usual cause being a typo that would silently be ignored.
func decodeStrict(path string, data []byte, into any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind == 0 {
		return nil // an empty file sets nothing
	}
	var msgs []string
	for _, e := range yamlstrict.Check(&doc, reflect.TypeOf(into), yamlstrict.Options{}) {
		if e.Problem != yamlstrict.UnknownKey {
			continue // the decoder below names these in its own words
		}
		section := strings.ToLower(e.Section.Name())
		if e.Section == reflect.TypeOf(Config{}) {
			section = "top level"
		}
		msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %q in %s", path, e.Line, e.Name, section))
	}
	err := doc.Decode(into)
	var te *yaml.TypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		for _, e := range te.Errors {
			msgs = append(msgs, fmt.Sprintf("%s: %s", path, e))
		}
	case len(msgs) == 0:
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// applyEnv lets environment variables override the file, as an operator running
// in a container expects. A malformed number is an error, not a silent default.
func (c *Config) applyEnv(env func(string) (string, bool)) error {
	str := func(name string, dst *string) {
		if v, ok := env(name); ok {
			*dst = v
		}
	}
	var errs []error
	// An empty variable counts as unset for numbers, as in a Kubernetes manifest
	// that lists a variable without a value.
	parsed := func(name string, parse func(string) error) {
		if v, ok := env(name); ok && strings.TrimSpace(v) != "" {
			if err := parse(strings.TrimSpace(v)); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	}
	integer := func(name string, dst *int) {
		parsed(name, func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errors.New("not a whole number")
			}
			*dst = n
			return nil
		})
	}
	duration := func(name string, dst *time.Duration) {
		parsed(name, func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return errors.New("not a duration such as 10s or 2m")
			}
			*dst = d
			return nil
		})
	}

	str("GITHUB_WEB_URL", &c.GitHub.WebURL)
	str("GITHUB_V3_API_URL", &c.GitHub.V3APIURL)
	str("GITHUB_V4_API_URL", &c.GitHub.V4APIURL)
	if v, ok := env("GITHUB_APP_INTEGRATION_ID"); ok && strings.TrimSpace(v) != "" {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("GITHUB_APP_INTEGRATION_ID: not a whole number"))
		} else {
			c.GitHub.App.IntegrationID = id
		}
	}
	str("GITHUB_APP_WEBHOOK_SECRET", &c.GitHub.App.WebhookSecret)
	// A variable that is set, even empty, overrides the file, as in a manifest
	// that blanks a key the file carries.
	if v, ok := env("GITHUB_APP_PRIVATE_KEY"); ok {
		c.GitHub.App.PrivateKey = v
		c.GitHub.App.PrivateKeySource = "GITHUB_APP_PRIVATE_KEY"
	}
	if v, ok := env("GITHUB_APP_PRIVATE_KEY_PATH"); ok {
		c.GitHub.App.PrivateKeyPath = v
		c.GitHub.App.PrivateKeySource = "GITHUB_APP_PRIVATE_KEY_PATH=" + v
	}

	if _, ok := env("SECWG_ADDRESS"); ok {
		c.Server.AddressSet = true
	}
	str("SECWG_ADDRESS", &c.Server.Address)
	str("SECWG_ADMIN_ADDRESS", &c.Server.AdminAddress)
	integer("SECWG_ADMIN_PORT", &c.Server.AdminPort)
	duration("SECWG_DRAIN_DELAY", &c.Server.DrainDelay)
	duration("SECWG_ACK_TIMEOUT", &c.Server.AckTimeout)
	str("SECWG_WEBHOOK_PROXY_URL", &c.Server.WebhookProxyURL)
	parsed("SECWG_MAX_INFLIGHT_BYTES", c.Server.MaxInflightBytes.parse)
	integer("SECWG_PORT", &c.Server.Port)
	str("SECWG_PUBLIC_URL", &c.Server.PublicURL)
	integer("SECWG_QUEUE_SIZE", &c.Server.QueueSize)
	integer("SECWG_WORKERS", &c.Server.Workers)
	duration("SECWG_JOB_TIMEOUT", &c.Server.JobTimeout)
	duration("SECWG_SHUTDOWN_TIMEOUT", &c.Server.ShutdownTimeout)
	parsed("SECWG_CACHE_SIZE", c.Server.CacheSize.parse)
	str("SECWG_LOG_LEVEL", &c.Logging.Level)
	str("SECWG_LOG_FORMAT", &c.Logging.Format)
	str("SECWG_CREDENTIALS_PATH", &c.Setup.CredentialsPath)
	str("SECWG_WEBHOOK_PROXY_SERVICE", &c.Setup.ProxyServiceURL)
	str("SECWG_REDIS_URL", &c.Redis.URL)
	duration("SECWG_REDELIVER_INTERVAL", &c.Redelivery.Interval)
	duration("SECWG_REDELIVER_WINDOW", &c.Redelivery.Window)
	integer("SECWG_REDELIVER_MAX", &c.Redelivery.MaxAttempts)
	return errors.Join(errs...)
}

func (c *Config) applyDefaults() {
	setDefault(&c.Server.Port, DefaultPort)
	setDefault(&c.Server.QueueSize, DefaultQueueSize)
	setDefault(&c.Server.Workers, DefaultWorkers)
	setDefault(&c.Server.JobTimeout, DefaultJobTimeout)
	setDefault(&c.Server.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&c.Server.CacheSize, DefaultCacheSize)
	setDefault(&c.Server.AdminPort, DefaultAdminPort)
	setDefault(&c.Server.MaxInflightBytes, DefaultMaxInflight)
	setDefault(&c.Server.DrainDelay, DefaultDrainDelay)
	setDefault(&c.Server.AckTimeout, DefaultAckTimeout)
	setDefault(&c.Logging.Level, DefaultLogLevel)
	setDefault(&c.Logging.Format, DefaultLogFormat)
	setDefault(&c.GitHub.WebURL, DefaultWebURL)
	setDefault(&c.GitHub.V3APIURL, DefaultV3APIURL)
	setDefault(&c.GitHub.V4APIURL, DefaultV4APIURL)
	setDefault(&c.Setup.CredentialsPath, DefaultCredentialsPath)
	setDefault(&c.Setup.ProxyServiceURL, DefaultProxyService)
	setDefault(&c.Redelivery.Interval, DefaultRedeliverInterval)
	setDefault(&c.Redelivery.Window, DefaultRedeliverWindow)
	setDefault(&c.Redelivery.MaxAttempts, DefaultRedeliverMax)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c *Config) loadPrivateKey() error {
	app := &c.GitHub.App
	if app.PrivateKeyPath == "" {
		return nil
	}
	if app.PrivateKey != "" {
		return errors.New("github.app.private_key and github.app.private_key_path (GITHUB_APP_PRIVATE_KEY, GITHUB_APP_PRIVATE_KEY_PATH) are both set: keep one")
	}
	data, err := os.ReadFile(app.PrivateKeyPath)
	if err != nil {
		return fmt.Errorf("reading github.app.private_key_path: %w", err)
	}
	app.PrivateKey = string(data)
	return nil
}

func (c *Config) validate() error {
	errs := c.Server.validate()
	errs = append(errs, c.Logging.validate()...)
	if err := c.GitHub.App.checkComplete(); err != nil {
		errs = append(errs, err)
	}
	if u := c.Redis.URL; u != "" {
		// The URL may hold a password: the message names the key, not the value.
		if p, err := url.Parse(u); err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") || p.Host == "" {
			errs = append(errs, errors.New("redis.url (SECWG_REDIS_URL): must be redis://host:port/db or rediss://host:port/db"))
		}
	}
	errs = append(errs, c.Redelivery.validate()...)
	return errors.Join(errs...)
}

func (s Server) validate() []error {
	errs := s.validateListeners()
	if s.DrainDelay < 0 {
		errs = append(errs, errors.New("server.drain_delay (SECWG_DRAIN_DELAY) must not be negative"))
	}
	if s.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("server.queue_size (SECWG_QUEUE_SIZE) = %d: must be at least 1", s.QueueSize))
	}
	if s.Workers < 1 {
		errs = append(errs, fmt.Errorf("server.workers (SECWG_WORKERS) = %d: must be at least 1", s.Workers))
	}
	if s.JobTimeout < 0 || s.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("server.job_timeout and server.shutdown_timeout must not be negative"))
	}
	return errs
}

// validateListeners checks what faces the network: ports, the acknowledgement
// timeout and the webhook proxy channel.
func (s Server) validateListeners() []error {
	var errs []error
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("server.port (SECWG_PORT) = %d: must be 1 to 65535", s.Port))
	}
	if s.AdminPort < 1 || s.AdminPort > 65535 {
		errs = append(errs, fmt.Errorf("server.admin_port (SECWG_ADMIN_PORT) = %d: must be 1 to 65535", s.AdminPort))
	}
	if s.AdminPort == s.Port && s.AdminAddress == s.Address {
		errs = append(errs, fmt.Errorf("server.admin_port (SECWG_ADMIN_PORT) = %d: must differ from server.port, so metrics stay off the public port", s.AdminPort))
	}
	if s.AckTimeout < 0 || s.AckTimeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("server.ack_timeout (SECWG_ACK_TIMEOUT) = %v: must be between 0 and 10s, GitHub's own timeout", s.AckTimeout))
	}
	if s.WebhookProxyURL != "" {
		if u, err := url.Parse(s.WebhookProxyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("server.webhook_proxy_url (SECWG_WEBHOOK_PROXY_URL) = %q: must be an http or https channel URL such as https://smee.io/abc123", s.WebhookProxyURL))
		}
	}
	return errs
}

func (l Logging) validate() []error {
	var errs []error
	switch strings.ToLower(l.Level) {
	case "trace", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("logging.level (SECWG_LOG_LEVEL) = %q: use debug, info, warn or error", l.Level))
	}
	switch l.Format {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("logging.format (SECWG_LOG_FORMAT) = %q: use json or text", l.Format))
	}
	return errs
}

func (r Redelivery) validate() []error {
	var errs []error
	if r.Interval < 0 {
		errs = append(errs, fmt.Errorf("redelivery.interval (SECWG_REDELIVER_INTERVAL) = %v: must be positive", r.Interval))
	}
	if r.Window < 0 || r.Window > maxRedeliverWindow {
		errs = append(errs, fmt.Errorf("redelivery.window (SECWG_REDELIVER_WINDOW) = %v: must be positive and at most 72h, as long as GitHub keeps deliveries", r.Window))
	}
	if r.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("redelivery.max_attempts (SECWG_REDELIVER_MAX) = %d: must be at least 1", r.MaxAttempts))
	}
	return errs
}

// HasCredentials reports whether the App is configured; without any credential secwg
// starts in setup mode.
func (a App) HasCredentials() bool {
	return a.IntegrationID != 0 || a.WebhookSecret != "" || a.PrivateKey != ""
}

// checkComplete refuses a half-configured App. An empty webhook secret matters most:
// go-github skips signature checks when the secret is empty, so a server running
// that way would accept forged deliveries from anyone.
func (a App) checkComplete() error {
	if !a.HasCredentials() {
		return nil
	}
	var missing []string
	if a.IntegrationID == 0 {
		missing = append(missing, "github.app.integration_id (GITHUB_APP_INTEGRATION_ID)")
	}
	if strings.TrimSpace(a.WebhookSecret) == "" {
		missing = append(missing, "github.app.webhook_secret (GITHUB_APP_WEBHOOK_SECRET)")
	}
	if strings.TrimSpace(a.PrivateKey) == "" {
		missing = append(missing, "github.app.private_key or private_key_path (GITHUB_APP_PRIVATE_KEY, GITHUB_APP_PRIVATE_KEY_PATH)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the GitHub App is only partly configured; missing: %s", strings.Join(missing, ", "))
	}
	if a.IntegrationID < 0 {
		return fmt.Errorf("github.app.integration_id = %d: must be positive", a.IntegrationID)
	}
	return nil
}

// ListenAddress is the host:port the server listens on.
func (s Server) ListenAddress() string {
	return net.JoinHostPort(s.Address, strconv.Itoa(s.Port))
}

// AdminListenAddress is the host:port of the admin port.
func (s Server) AdminListenAddress() string {
	return net.JoinHostPort(s.AdminAddress, strconv.Itoa(s.AdminPort))
}

// noteSources records what the file set explicitly: an address, and the key's origin.
func (c *Config) noteSources(path string, data []byte) {
	var raw struct {
		Server map[string]any `yaml:"server"`
	}
	if yaml.Unmarshal(data, &raw) == nil {
		if _, ok := raw.Server["address"]; ok {
			c.Server.AddressSet = true
		}
	}
	switch {
	case c.GitHub.App.PrivateKeyPath != "":
		c.GitHub.App.PrivateKeySource = "github.app.private_key_path (" + c.GitHub.App.PrivateKeyPath + ") in " + path
	case c.GitHub.App.PrivateKey != "":
		c.GitHub.App.PrivateKeySource = "github.app.private_key in " + path
	}
}
