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
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AppID is the GitHub App id the fake issues tokens for.
const AppID = 4242

// AppSlug is the slug GET /app answers with.
const AppSlug = "secwg-test"

const (
	patternAccessToken = "POST /app/installations/{installation_id}/access_tokens"
	patternGetApp      = "GET /app"
	tokenPrefix        = "ghs_test_"
)

// jwtLeeway absorbs clock skew and ghinstallation back-dating iat by 30 s.
const jwtLeeway = time.Minute

var appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func privateKey() *rsa.PrivateKey {
	k, err := appKey()
	if err != nil {
		panic(fmt.Sprintf("githubtest: generating app key: %v", err))
	}
	return k
}

// PrivateKeyPEM is the App's private key (PKCS#1 PEM), generated once per process; give it
// to go-githubapp or ghinstallation as the App key.
func (s *Server) PrivateKeyPEM() []byte { return PrivateKeyPEM() }

// PrivateKeyPEM is the App's private key (PKCS#1 PEM), generated once per process.
func PrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{
		Type:  "RSA PRIVATE KEY",
		Bytes: x509.MarshalPKCS1PrivateKey(privateKey()),
	})
}

// InstallationToken is the token the fake issues for an installation; a test that builds
// its own client authenticates with it ("Authorization: token <it>").
func InstallationToken(installationID int64) string {
	return tokenPrefix + strconv.FormatInt(installationID, 10)
}

// authenticate checks the Authorization header and returns the installation whose token
// was used (0 for the App's JWT). GitHub answers App endpoints only to the App's JWT and
// everything else only to an installation token, so a mix-up is reported.
func (s *Server) authenticate(r *http.Request) (int64, error) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/app-manifests/") {
		return 0, nil // the manifest code is the credential
	}
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || cred == "" {
		return 0, errors.New("request has no Authorization credential")
	}
	scheme = strings.ToLower(scheme)
	if (scheme == "token" || scheme == "bearer") && strings.HasPrefix(cred, tokenPrefix) {
		id, err := strconv.ParseInt(strings.TrimPrefix(cred, tokenPrefix), 10, 64)
		if err != nil || id <= 0 {
			return 0, fmt.Errorf("malformed installation token %q", cred)
		}
		if appOnly(path) {
			return id, fmt.Errorf("installation token used where GitHub requires the App's JWT")
		}
		return id, nil
	}
	if scheme != "bearer" {
		return 0, fmt.Errorf("unknown Authorization scheme %q", scheme)
	}
	if err := verifyJWT(cred, &privateKey().PublicKey, time.Now()); err != nil {
		return 0, fmt.Errorf("app JWT rejected: %w", err)
	}
	if !jwtAllowed(path) {
		return 0, errors.New("app JWT used where GitHub requires an installation token")
	}
	return 0, nil
}

// appOnly reports paths GitHub serves only to the App itself.
func appOnly(path string) bool {
	return path == "/app" || strings.HasPrefix(path, "/app/")
}

// jwtAllowed reports paths GitHub serves to the App's JWT.
func jwtAllowed(path string) bool {
	if appOnly(path) {
		return true
	}
	// GET /repos/{owner}/{repo}/installation, /orgs/{org}/installation, /users/{u}/installation
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "installation":
		return true
	case len(parts) == 3 && (parts[0] == "orgs" || parts[0] == "users") && parts[2] == "installation":
		return true
	}
	return false
}

// verifyJWT checks an RS256 token signed by key whose issuer is AppID and which is valid
// at now.
func verifyJWT(token string, key *rsa.PublicKey, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT (want three dot-separated parts)")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("alg %q, want RS256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return errors.New("signature does not verify with the App's key")
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *float64        `json:"iat"`
		Exp *float64        `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	// ghinstallation sends the id as a string, other clients as a number.
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.Itoa(AppID) {
		return fmt.Errorf("iss %s, want %d", claims.Iss, AppID)
	}
	if claims.Iat == nil || claims.Exp == nil {
		return errors.New("iat and exp are required")
	}
	iat := time.Unix(int64(*claims.Iat), 0)
	exp := time.Unix(int64(*claims.Exp), 0)
	switch {
	case iat.After(now.Add(jwtLeeway)):
		return fmt.Errorf("iat %s is in the future", iat.UTC().Format(time.RFC3339))
	case !exp.After(now):
		return fmt.Errorf("expired at %s", exp.UTC().Format(time.RFC3339))
	case exp.Sub(iat) > 10*time.Minute+jwtLeeway:
		return fmt.Errorf("lifetime %s exceeds GitHub's 10 minutes", exp.Sub(iat))
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Server) createAccessToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	if err != nil || id <= 0 {
		s.t.Errorf("githubtest: %s %s: installation id %q is not a positive number", r.Method, r.URL.Path, r.PathValue("installation_id"))
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	Response{Status: http.StatusCreated, Body: map[string]any{
		"token":                InstallationToken(id),
		"expires_at":           time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions":          map[string]string{"issues": "write", "contents": "write", "checks": "write", "pull_requests": "write", "metadata": "read"},
		"repository_selection": "all",
	}}.ServeHTTP(w, r)
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	app := App(AppID, AppSlug)
	app["name"] = "secwg test"
	app["permissions"] = map[string]string{"issues": "write", "contents": "write", "checks": "write", "pull_requests": "write", "metadata": "read"}
	app["events"] = []string{"issues", "issue_comment", "pull_request", "check_run", "check_suite"}
	Response{Status: http.StatusOK, Body: app}.ServeHTTP(w, r)
}
