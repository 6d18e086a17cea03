# Writes OUT (a header defining NUCLEUS_COMMIT) with SRC's git commit, as `git describe --always
# --dirty` prints it ("unknown" outside a git checkout). Run at every build by the nucleus_commit
# target; the file is rewritten only when the commit changed, so nothing rebuilds otherwise.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#define NUCLEUS_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
