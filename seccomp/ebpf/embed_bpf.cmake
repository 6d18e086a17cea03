# cmake -DIN=trace.bpf.o -DOUT=trace_bpf_object.c -P embed_bpf.cmake: the object file as a C
# array (nucleus_trace_bpf_object, nucleus_trace_bpf_object_size), linked into the runtime so
# that nothing is read or compiled at run time.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by seccomp/ebpf/embed_bpf.cmake. */\n"
  "const unsigned char nucleus_trace_bpf_object[] __attribute__((aligned(8))) = {\n${bytes}\n};\n"
  "const unsigned long nucleus_trace_bpf_object_size = ${size};\n")
