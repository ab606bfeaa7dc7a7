package tlstest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/youmark/pkcs8"
)

// EncryptPKCS8 returns the leaf's key as an encrypted PKCS#8 PEM block
// ("ENCRYPTED PRIVATE KEY", PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC, as
// openssl genpkey -aes256 writes it).
func (l Leaf) EncryptPKCS8(t testing.TB, pass string) []byte {
	t.Helper()
	key := l.parseKey(t)
	der, err := pkcs8.MarshalPrivateKey(key, []byte(pass), nil)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
}

// EncryptLegacy returns the leaf's key as legacy OpenSSL encrypted PEM
// (Proc-Type and DEK-Info headers, AES-256-CBC).
func (l Leaf) EncryptLegacy(t testing.TB, pass string) []byte {
	t.Helper()
	block, _ := pem.Decode(l.KeyPEM)
	//lint:ignore SA1019 the legacy format is what the test needs to produce.
	enc, err := x509.EncryptPEMBlock(rand.Reader, block.Type, block.Bytes, []byte(pass), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(enc)
}

func (l Leaf) parseKey(t testing.TB) any {
	t.Helper()
	block, _ := pem.Decode(l.KeyPEM)
	if block == nil {
		t.Fatal("tlstest: no PEM key")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
