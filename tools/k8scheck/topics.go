package main

import (
	"bufio"
	"os"
	"strings"
)

// ReadTopicsFile reads deploy/local/topics.txt: "<name> <partitions> [compact]" lines;
// blank lines and text after '#' are ignored.
func ReadTopicsFile(path string) ([]TopicSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []TopicSpec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		out = append(out, TopicSpec{Name: fields[0], Compact: len(fields) > 2 && fields[2] == "compact"})
	}
	return out, sc.Err()
}
