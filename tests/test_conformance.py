"""Debian's jupyter_kernel_test suite against the installed `iot` kernelspec.

Every test of the suite is enabled except the pager (optional in the
protocol). The samples use %%host cells, which need no board; the board
samples of is_complete check the Python rules used for board cells.
"""
import unittest

import jupyter_kernel_test


class IotKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "iot"
    language_name = "python"
    file_extension = ".py"

    code_hello_world = '%%host\nfmt.Println("hello, world")'
    code_stderr = '%%host\nfmt.Fprintln(os.Stderr, "this goes to stderr")'
    code_generate_error = '%%host\npanic("boom")'
    code_execute_result = [
        {"code": "%%host\n6 * 7", "result": "42"},
        {"code": '%%host\nstrings.ToUpper("shout")', "result": "SHOUT"},
        {"code": "%%host\n[]int{1, 2, 3}", "result": "[1 2 3]"},
    ]
    code_display_data = [
        {"code": '%%host\ndisplay.HTML("<b>bold</b>")', "mime": "text/html"},
        {"code": '%%host\ndisplay.Markdown("# title")', "mime": "text/markdown"},
        {"code": '%%host\ndisplay.SVG(`<svg xmlns="http://www.w3.org/2000/svg"/>`)', "mime": "image/svg+xml"},
    ]
    code_clear_output = "%%host\ndisplay.Clear()"

    completion_samples = [
        {"text": "%%host\nstrings.ToUp", "matches": {"ToUpper", "ToUpperSpecial"}},
        {"text": "%%host\nfmt.Sprin", "matches": {"Sprint", "Sprintf", "Sprintln"}},
    ]
    complete_code_samples = [
        "%%host\nx := 1\n",
        '%%host\nfunc f() int {\n\treturn 1\n}\n',
        "print('hi')",
        "for i in range(3):\n    print(i)\n\n",
    ]
    incomplete_code_samples = [
        "%%host",
        "%%host\nx := 1",
        "%%host\nfunc f() {",
        "%%host\nx := []int{1,",
        "for i in range(3):",
        "x = (1,",
        's = """abc',
    ]
    invalid_code_samples = [
        "%%host\nfunc )( {",
        "x = )",
    ]

    code_inspect_sample = "%%host\nstrings.ToUpper"

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "%%host*6 * 7*"


if __name__ == "__main__":
    unittest.main()
