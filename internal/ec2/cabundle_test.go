package ec2

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCABundle writes a self-signed CA certificate as PEM.
func writeCABundle(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gameday test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Corporate proxies make AWS_CA_BUNDLE common on real accounts. The SDK
// applies it only to a client it built itself, so gameday must let it
// build one and wrap that, not hand it its own. Loading sends no request.
func TestCABundleLoadsForRealEndpoints(t *testing.T) {
	for name, bundle := range map[string]string{"with-bundle": writeCABundle(t), "without": ""} {
		t.Run(name, func(t *testing.T) { loadsWithBundle(t, bundle) })
	}
}

func loadsWithBundle(t *testing.T, bundle string) {
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, endpoint := range []string{"", "https://ec2.example.invalid"} {
		cfg, err := LoadConfig(t.Context(), Session{Region: "us-east-1", EndpointURL: endpoint})
		if err != nil {
			t.Fatalf("endpoint %q with AWS_CA_BUNDLE: %v", endpoint, err)
		}
		c, ok := cfg.HTTPClient.(bodyWithoutWriteToClient)
		if !ok || c.HTTPClient == nil {
			t.Errorf("endpoint %q: HTTP client %T %+v, want the race workaround around a real client", endpoint, cfg.HTTPClient, cfg.HTTPClient)
		}
	}
}
