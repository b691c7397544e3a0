package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type jwtClaims struct {
	Alg string        // RS256 unless set
	Iss any           // string or number
	Iat time.Duration // offset from now; -30s unless set
	Exp time.Duration // offset from now; +2m unless set
}

func signJWT(t testing.TB, key *rsa.PrivateKey, c jwtClaims) string {
	t.Helper()
	if c.Alg == "" {
		c.Alg = "RS256"
	}
	if c.Iat == 0 {
		c.Iat = -30 * time.Second
	}
	if c.Exp == 0 {
		c.Exp = 2 * time.Minute
	}
	now := time.Now()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]string{"alg": c.Alg, "typ": "JWT"}) + "." +
		enc(map[string]any{"iss": c.Iss, "iat": now.Add(c.Iat).Unix(), "exp": now.Add(c.Exp).Unix()})
	digest := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// otherKey is a second App key, for showing the fake rejects JWTs it did not issue the key for.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func TestAuthorization(t *testing.T) {
	good := signJWT(t, privateKey(), jwtClaims{Iss: "4242"})
	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		wantStatus int
		wantFail   string // fragment of the reported failure, "" for none
	}{
		{"JWT with string iss gets a token", "POST", "/app/installations/7/access_tokens", "Bearer " + good, 201, ""},
		{"JWT with numeric iss gets a token", "POST", "/app/installations/7/access_tokens", "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: 4242}), 201, ""},
		{"JWT may read the repository installation", "GET", "/repos/o/r/installation", "Bearer " + good, 200, ""},
		{"token for a malformed installation id", "POST", "/app/installations/abc/access_tokens", "Bearer " + good, 404, "installation"},
		{"JWT signed by another key", "POST", "/app/installations/7/access_tokens", "Bearer " + signJWT(t, otherKey(), jwtClaims{Iss: "4242"}), 401, "signature"},
		{"JWT for another App", "POST", "/app/installations/7/access_tokens", "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "1"}), 401, "iss"},
		{"expired JWT", "GET", "/app", "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "4242", Iat: -20 * time.Minute, Exp: -10 * time.Minute}), 401, "expired"},
		{"JWT living over ten minutes", "GET", "/app", "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "4242", Exp: time.Hour}), 401, "lifetime"},
		{"JWT with alg none", "GET", "/app", "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "4242", Alg: "none"}), 401, "alg"},
		{"garbage bearer", "GET", "/app", "Bearer not.a.jwt", 401, "app JWT rejected"},
		{"JWT used on an installation endpoint", "GET", "/repos/o/r/issues/1", "Bearer " + good, 401, "requires an installation token"},
		{"installation token used on an App endpoint", "GET", "/app", "token " + InstallationToken(7), 401, "requires the App's JWT"},
		{"installation token as bearer", "GET", "/repos/o/r/issues/1", "Bearer " + InstallationToken(7), 200, ""},
		{"malformed installation token", "GET", "/repos/o/r/issues/1", "token ghs_test_x", 401, "malformed"},
		{"no credentials", "GET", "/repos/o/r/issues/1", "", 401, "no Authorization"},
		{"basic auth", "GET", "/repos/o/r/issues/1", "Basic dXNlcjpwYXNz", 401, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}", 200, map[string]int{"number": 1})
			s.ReplyJSON("GET /repos/{owner}/{repo}/installation", 200, map[string]int{"id": 7})

			status, body := call(t, s, tt.method, tt.path, tt.auth, nil)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", status, tt.wantStatus, body)
			}
			if tt.wantFail == "" {
				rec.requireFailure(t)
			} else {
				rec.requireFailure(t, tt.method+" "+tt.path, tt.wantFail)
			}
		})
	}
}

func TestAccessTokenNamesTheInstallation(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	status, body := call(t, s, "POST", "/app/installations/31/access_tokens", "Bearer "+signJWT(t, privateKey(), jwtClaims{Iss: "4242"}), nil)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body)
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Token != "ghs_test_31" {
		t.Errorf("token %q, want ghs_test_31", tok.Token)
	}
	if d := time.Until(tok.ExpiresAt); d < 55*time.Minute || d > time.Hour {
		t.Errorf("token expires in %s, want about an hour", d)
	}
	rec.requireFailure(t)
}

func TestPrivateKeyPEMParsesAsTheAppKey(t *testing.T) {
	block, _ := pem.Decode(PrivateKeyPEM())
	if block == nil || !strings.Contains(block.Type, "PRIVATE KEY") {
		t.Fatalf("not a PEM private key")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 || !key.PublicKey.Equal(&privateKey().PublicKey) {
		t.Errorf("PEM holds a %d-bit key that is not the App key", key.N.BitLen())
	}
}
