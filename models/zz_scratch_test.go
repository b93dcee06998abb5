package models

import (
	"testing"
	"unicode/utf8"
)

func TestScratchIdem(t *testing.T) {
	bad := 0
	for r := rune(0); r < 0x30000; r++ {
		if !utf8.ValidRune(r) { continue }
		s := "a" + string(r) + "b"
		n := NormalizeLoginName(s)
		if NormalizeLoginName(n) != n {
			bad++
			if bad < 10 { t.Logf("%U %q -> %q -> %q", r, s, n, NormalizeLoginName(n)) }
		}
	}
	t.Log("bad", bad)
}
