# Fails unless README.md contains the example suite verbatim (docs that match the code).
file(READ ${README} readme)
file(READ ${SRC} src)
string(FIND "${readme}" "${src}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "README.md does not contain ${SRC} verbatim: update the README's example")
endif()
