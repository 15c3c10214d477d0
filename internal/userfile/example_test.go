package userfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/iotkernel/iotkernel/internal/userfile"
)

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "userfile-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "iotkernel", "boards.json")
	if err := userfile.WriteFile(path, []byte(`{"esp32": "/dev/ttyUSB0"}`+"\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// {"esp32": "/dev/ttyUSB0"}
}

func ExampleConfigPath() {
	env := map[string]string{"HOME": "/home/ada", "XDG_CONFIG_HOME": ""}
	p, _ := userfile.ConfigPath(func(k string) string { return env[k] }, "boards.json")
	fmt.Println(p)
	// Output:
	// /home/ada/.config/iotkernel/boards.json
}
