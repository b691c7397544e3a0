package server

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	"github.com/secwg/secwg/internal/config"
)

// checkPrivateKey refuses a key that cannot sign the App's tokens, naming where it
// came from, instead of starting a server that retries GET /app forever.
func checkPrivateKey(app config.App) error {
	block, _ := pem.Decode([]byte(app.PrivateKey))
	if block == nil {
		return fmt.Errorf("the GitHub App private key from %s is not PEM text (expected -----BEGIN RSA PRIVATE KEY-----)", keySource(app))
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		return fmt.Errorf("the GitHub App private key from %s cannot be read as an RSA key: %v", keySource(app), err)
	}
	return nil
}

func keySource(app config.App) string {
	if app.PrivateKeySource != "" {
		return app.PrivateKeySource
	}
	return "the configuration"
}

// newSetupToken makes the one-time setup token: 256 random bits.
func newSetupToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
