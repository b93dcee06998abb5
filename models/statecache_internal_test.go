package models

import (
	"fmt"
	"testing"
	"time"
)

func TestStateCacheSizeIsBounded(t *testing.T) {
	c := newStateCache(time.Minute, 3)
	for i := range 10 {
		c.put(fmt.Sprint("key", i), i, c.gen.Load())
	}
	if n := c.len(); n != 3 {
		t.Errorf("cache holds %d entries, want its size 3", n)
	}
	if v, ok := c.get("key9"); !ok || v != 9 {
		t.Errorf("the newest entry = %v, %v; want 9, true", v, ok)
	}
}

func TestStateCacheDropsValueLoadedAcrossWrite(t *testing.T) {
	c := newStateCache(time.Minute, 10)
	gen := c.gen.Load()
	// A write lands while the value is being loaded.
	c.invalidate()
	c.put("app", "old row", gen)
	if _, ok := c.get("app"); ok {
		t.Error("a value loaded before a write was stored after it")
	}
}

func TestStateCacheEntryExpires(t *testing.T) {
	c := newStateCache(time.Millisecond, 10)
	c.put("app", "row", c.gen.Load())
	time.Sleep(5 * time.Millisecond)
	if _, ok := c.get("app"); ok {
		t.Error("an entry older than the TTL was returned")
	}
}
