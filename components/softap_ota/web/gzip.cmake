# cmake -DIN=page.html -DOUT=page.html.gz -P gzip.cmake
# Gzip one file with CMake's own libarchive, so the device build needs no gzip program
# (ESP-IDF also builds on Windows). The page is served with Content-Encoding: gzip.
# Before that, the indentation, empty lines and // comments (whole lines, or after a ; or {
# that ends the code of a line) are taken out:
# the source stays readable and commented, the device stores and sends less.
cmake_minimum_required(VERSION 3.19)
if(NOT IN OR NOT OUT)
    message(FATAL_ERROR "usage: cmake -DIN=FILE -DOUT=FILE.gz -P gzip.cmake")
endif()
file(READ "${IN}" page)
string(REGEX REPLACE "\n[ \t]+" "\n" page "${page}")
string(REGEX REPLACE "\n//[^\n]*" "" page "${page}")
string(REGEX REPLACE "([;{]) //[^\n]*" "\\1" page "${page}")
string(REGEX REPLACE "\n\n+" "\n" page "${page}")
# the style sheet on one line
string(FIND "${page}" "<style>" a)
string(FIND "${page}" "</style>" b)
if(a GREATER -1 AND b GREATER a)
    math(EXPR n "${b} - ${a}")
    string(SUBSTRING "${page}" ${a} ${n} css)
    string(REPLACE "\n" "" css1 "${css}")
    string(REPLACE "${css}" "${css1}" page "${page}")
endif()
get_filename_component(name "${IN}" NAME)
set(plain "${OUT}.d/${name}")
file(WRITE "${plain}" "${page}")
file(ARCHIVE_CREATE OUTPUT "${OUT}" PATHS "${plain}" FORMAT raw COMPRESSION GZip COMPRESSION_LEVEL 9)
