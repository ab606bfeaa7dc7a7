package monitor

import (
	"errors"
	"testing"
)

func TestParseHello_RoundTrip(t *testing.T) {
	in := "127.0.0.1,26379,1042d347a43e60e7e967c87a6a1891b62fde7f44,7,mymaster,10.0.0.2,6380,5"
	h, err := ParseHello(in)
	if err != nil {
		t.Fatalf("ParseHello: %v", err)
	}
	want := Hello{
		SentinelAddr:      Addr{"127.0.0.1", 26379},
		RunID:             "1042d347a43e60e7e967c87a6a1891b62fde7f44",
		CurrentEpoch:      7,
		MasterName:        "mymaster",
		MasterAddr:        Addr{"10.0.0.2", 6380},
		MasterConfigEpoch: 5,
	}
	if h != want {
		t.Fatalf("got %+v, want %+v", h, want)
	}
	if got := h.String(); got != in {
		t.Fatalf("String() = %q, want %q", got, in)
	}
}

func TestParseHello_Rejects(t *testing.T) {
	id := "1042d347a43e60e7e967c87a6a1891b62fde7f44"
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"seven fields", "127.0.0.1,26379," + id + ",7,mymaster,10.0.0.2,6380"},
		{"nine fields", "127.0.0.1,26379," + id + ",7,mymaster,10.0.0.2,6380,5,x"},
		{"bad port", "127.0.0.1,0," + id + ",7,mymaster,10.0.0.2,6380,5"},
		{"short runid", "127.0.0.1,26379,abc,7,mymaster,10.0.0.2,6380,5"},
		{"negative epoch", "127.0.0.1,26379," + id + ",-1,mymaster,10.0.0.2,6380,5"},
		{"empty master", "127.0.0.1,26379," + id + ",7,,10.0.0.2,6380,5"},
		{"master port text", "127.0.0.1,26379," + id + ",7,m,10.0.0.2,x,5"},
		{"config epoch text", "127.0.0.1,26379," + id + ",7,m,10.0.0.2,6380,y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseHello(tc.in); !errors.Is(err, ErrBadHello) {
				t.Fatalf("ParseHello(%q) err = %v, want ErrBadHello", tc.in, err)
			}
		})
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add("127.0.0.1,26379,1042d347a43e60e7e967c87a6a1891b62fde7f44,7,mymaster,10.0.0.2,6380,5")
	f.Add(",,,,,,,")
	f.Add("a,1,1042d347a43e60e7e967c87a6a1891b62fde7f44,18446744073709551615,m,b,65535,0")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHello(s)
		if err != nil {
			return
		}
		h2, err := ParseHello(h.String())
		if err != nil || h2 != h {
			t.Fatalf("round trip of %q: %+v, %v", s, h2, err)
		}
	})
}

func BenchmarkParseHello(b *testing.B) {
	in := "127.0.0.1,26379,1042d347a43e60e7e967c87a6a1891b62fde7f44,7,mymaster,10.0.0.2,6380,5"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHello(in); err != nil {
			b.Fatal(err)
		}
	}
}
