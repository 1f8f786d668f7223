# Fails when a file of the torch-free data library includes an ML module header or LibTorch.
# FILES: |-separated paths; ML_DIRS: |-separated ML module folders; STAMP: written on success.
string(REPLACE "|" ";" files "${FILES}")
string(REPLACE "|" ";" dirs "${ML_DIRS}")
string(REPLACE ";" "|" dir_alt "${dirs}")
set(bad "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line IN LISTS lines)
    if(line MATCHES "mlad/(${dir_alt})/" OR line MATCHES "[<\"](torch|ATen|c10|Eigen|Q[A-Za-z]+)[/>]")
      string(APPEND bad "\n  ${f}: ${line}")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "mlad_data (torch-free data library) includes ML, LibTorch, Eigen or Qt headers:${bad}\n"
                      "Move the code to mlad_ml (embed model train eval viz) or invert the dependency.")
endif()
file(WRITE "${STAMP}" "ok\n")
