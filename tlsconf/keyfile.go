package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/youmark/pkcs8"
)

// loadKeyPair reads a certificate and its private key as Redis (OpenSSL)
// does: with a password (tls-key-file-pass, tls-client-key-file-pass), the
// key may be PKCS#8 encrypted ("ENCRYPTED PRIVATE KEY": PBES2 with PBKDF2
// or scrypt, AES or 3DES) or legacy PEM encrypted (a DEK-Info header); an
// unencrypted key ignores the password, as OpenSSL does. directive names
// the password's directive in errors.
func loadKeyPair(certFile, keyFile, pass, directive string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	plain, err := DecryptKeyPEM(keyPEM, pass, directive)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s: %w", keyFile, err)
	}
	return tls.X509KeyPair(certPEM, plain)
}

// errEncrypted is wrapped when an encrypted key comes without a password.
var errEncrypted = errors.New("the private key is encrypted")

// DecryptKeyPEM returns keyPEM's first private key as unencrypted PEM,
// decrypting it with pass when it is encrypted. Other blocks (EC
// PARAMETERS, certificates) are skipped; input without an encrypted key is
// returned as it is, for tls.X509KeyPair to judge.
func DecryptKeyPEM(keyPEM []byte, pass, directive string) ([]byte, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return keyPEM, nil
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return decryptPKCS8(block, pass, directive)
		case legacyEncrypted(block):
			return decryptLegacy(block, pass, directive)
		}
	}
}

func decryptPKCS8(block *pem.Block, pass, directive string) (out []byte, err error) {
	if pass == "" {
		return nil, fmt.Errorf("%w (PKCS#8): set %s", errEncrypted, directive)
	}
	// The module's parser is third-party code fed a file's bytes: a panic
	// in it becomes an error, never a crash.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: malformed encrypted PKCS#8 key", directive)
		}
	}()
	key, _, err := pkcs8.ParsePrivateKey(block.Bytes, []byte(pass))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decrypt the PKCS#8 key (wrong password or unsupported encryption): %w", directive, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", directive, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// legacyEncrypted reports a legacy OpenSSL encrypted PEM key (a
// Proc-Type: 4,ENCRYPTED header with DEK-Info).
func legacyEncrypted(block *pem.Block) bool {
	//lint:ignore SA1019 Redis (OpenSSL) still reads these keys; the stdlib's decryption is the only one at hand.
	return x509.IsEncryptedPEMBlock(block)
}

func decryptLegacy(block *pem.Block, pass, directive string) ([]byte, error) {
	if pass == "" {
		return nil, fmt.Errorf("%w (PEM, DEK-Info %s): set %s", errEncrypted, block.Headers["DEK-Info"], directive)
	}
	//lint:ignore SA1019 Redis (OpenSSL) still reads these keys; the stdlib's decryption is the only one at hand.
	der, err := x509.DecryptPEMBlock(block, []byte(pass))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decrypt the PEM key (wrong password?): %w", directive, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
}
