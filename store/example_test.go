package store_test

import (
	"fmt"

	"github.com/iotkernel/iotkernel/store"
)

func ExampleFromGo() {
	v, err := store.FromGo(map[string]any{"ip": "192.168.1.5", "ports": []int{80, 443}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Type(), v)
	code, _, _ := store.PythonDefine(map[string]store.Value{"cfg": v}, "bytearray")
	fmt.Print(code)

	_, err = store.FromGo(make(chan int))
	fmt.Println(err)
	// Output:
	// dict {'ip': '192.168.1.5', 'ports': [80, 443]}
	// cfg = {'ip': '192.168.1.5', 'ports': [80, 443]}
	// cannot store chan int: only strings, numbers, bools, nil, []byte, slices and map[string]... can be stored
}

func ExampleParsePythonDump() {
	// What the board printed for boardpy.Dump of my_ip and sock.
	out := "@iotkernel-store-begin 1\r\n" +
		"=my_ip s10.0.0.7;\r\n" +
		"=sock ?%3cclass%20'socket'%3e;\r\n" +
		"@iotkernel-store-end\r\n"
	vals, err := store.ParsePythonDump(out)
	fmt.Println(vals["my_ip"].Go())
	fmt.Println(err)
	// Output:
	// 10.0.0.7
	// cannot store sock (a socket): only str, int, float, bool, None, bytes, bytearray, list, tuple and dict with str keys can be stored
}
