# Writes mlad.1.gz with help2man: the synopsis and options from `mlad --help`, the version from
# `mlad --version`, and a COMMANDS section made of every command's own help.
# Arguments: -DMLAD=path/to/mlad -DHELP2MAN=path -DOUT=path/mlad.1
execute_process(COMMAND ${MLAD} --help OUTPUT_VARIABLE top RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mlad --help failed (${rc})")
endif()
string(REGEX MATCHALL "\n  ([a-z][a-z-]+) " lines "${top}")
set(include "[COMMANDS]\n")
foreach(l IN LISTS lines)
  string(STRIP "${l}" cmd)
  execute_process(COMMAND ${MLAD} help ${cmd} OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    # help2man include files are roff: escape backslashes and leading dots and quotes.
    string(REPLACE "\\" "\\e" help "${help}")
    string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" help "${help}")
    string(APPEND include ".SS mlad ${cmd}\n.nf\n${help}\n.fi\n")
  endif()
endforeach()
string(APPEND include "[SEE ALSO]\nmlad-workbench, the desktop application; mlad doctor for the runtime in use.\n")
file(WRITE ${OUT}.include "${include}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1 "--name=unsupervised log anomaly detection"
          --include=${OUT}.include --output=${OUT} ${MLAD}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
file(REMOVE ${OUT}.gz)
execute_process(COMMAND gzip -n -9 -f ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip failed (${rc})")
endif()
